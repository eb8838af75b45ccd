//! The framework glue over real HTTP on 127.0.0.1: axum, the tower layer on hyper and on tonic (a
//! real gRPC round trip), actix-web, and readiness. Every HTTP framework passes the same cases
//! (`cases`), so they answer alike.

mod common;

mod frameworks {
    #[macro_use]
    mod cases;
    mod actix;
    mod axum;
    mod readiness;
    mod tonic;
    mod tower;
}
