//! A gRPC service written by hand with tonic's codec and server APIs, so nothing needs protoc or
//! generated code: one unary method, `/demo.Identity/WhoAmI`, whose request and response are
//! UTF-8 strings. It answers with the user id that `PassageLayer` put in the request extensions.
#![allow(dead_code)] // The example and the tests use different parts.

use std::convert::Infallible;
use std::future::{Future, Ready, ready};
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::{Buf, BufMut};
use http::uri::PathAndQuery;
use passage_identity::tower::PassageUser;
use tonic::codec::{Codec, DecodeBuf, Decoder, EncodeBuf, Encoder};
use tonic::transport::Channel;
use tonic::{Request, Response, Status};

/// The path of the one method.
pub const WHO_AM_I: &str = "/demo.Identity/WhoAmI";

/// Messages are UTF-8 text.
#[derive(Clone, Copy, Debug, Default)]
pub struct Utf8Codec;

impl Codec for Utf8Codec {
    type Encode = String;
    type Decode = String;
    type Encoder = Self;
    type Decoder = Self;

    fn encoder(&mut self) -> Self {
        Self
    }

    fn decoder(&mut self) -> Self {
        Self
    }
}

impl Encoder for Utf8Codec {
    type Item = String;
    type Error = Status;

    fn encode(&mut self, item: String, dst: &mut EncodeBuf<'_>) -> Result<(), Status> {
        dst.put_slice(item.as_bytes());
        Ok(())
    }
}

impl Decoder for Utf8Codec {
    type Item = String;
    type Error = Status;

    fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<String>, Status> {
        let bytes = src.copy_to_bytes(src.remaining());
        String::from_utf8(bytes.to_vec())
            .map(Some)
            .map_err(|_| Status::invalid_argument("the message is not UTF-8"))
    }
}

/// The server side: `demo.Identity`, to add to a `tonic::transport::Server`.
#[derive(Clone, Copy, Debug, Default)]
pub struct IdentityServer;

impl tonic::server::NamedService for IdentityServer {
    const NAME: &'static str = "demo.Identity";
}

impl tower::Service<http::Request<tonic::body::Body>> for IdentityServer {
    type Response = http::Response<tonic::body::Body>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<tonic::body::Body>) -> Self::Future {
        Box::pin(async move {
            if request.uri().path() != WHO_AM_I {
                return Ok(Status::unimplemented("no such method").into_http());
            }
            Ok(tonic::server::Grpc::new(Utf8Codec)
                .unary(WhoAmI, request)
                .await)
        })
    }
}

/// The handler: the user id from the request extensions.
struct WhoAmI;

impl tonic::server::UnaryService<String> for WhoAmI {
    type Response = String;
    type Future = Ready<Result<Response<String>, Status>>;

    fn call(&mut self, request: Request<String>) -> Self::Future {
        let answer = match request.extensions().get::<PassageUser>() {
            Some(PassageUser(user_id)) => user_id.clone(),
            None => "anonymous".to_owned(),
        };
        ready(Ok(Response::new(answer)))
    }
}

/// The client side: calls `WhoAmI` with `cookie` or `authorization` metadata, if given.
pub async fn who_am_i(
    channel: Channel,
    metadata: &[(&'static str, &str)],
) -> Result<String, Status> {
    let mut client = tonic::client::Grpc::new(channel);
    client
        .ready()
        .await
        .map_err(|e| Status::unavailable(e.to_string()))?;
    let mut request = Request::new(String::new());
    for (name, value) in metadata {
        let value = value
            .parse()
            .map_err(|_| Status::invalid_argument("metadata value"))?;
        request.metadata_mut().insert(*name, value);
    }
    let response = client
        .unary(request, PathAndQuery::from_static(WHO_AM_I), Utf8Codec)
        .await?;
    Ok(response.into_inner())
}
