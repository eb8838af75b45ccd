//! Stopping: shutting the emulator down or dropping it closes its port.

use std::net::SocketAddr;
use std::time::Duration;

use passage_identity::RetryPolicy;
use tokio::net::{TcpListener, TcpStream};

use crate::emulator::support::{emulator, get_app};

/// Waits until `addr` can be bound again (the server has let go of it); fails after 10 s.
async fn wait_until_free(addr: SocketAddr) {
    let freed = async {
        while TcpListener::bind(addr).await.is_err() {
            tokio::task::yield_now().await;
        }
    };
    tokio::time::timeout(Duration::from_secs(10), freed)
        .await
        .expect("the port is freed");
}

#[tokio::test]
async fn shutdown_closes_the_port_and_idle_connections_at_once() {
    let emulator = emulator().await;
    let addr = emulator.local_addr();
    let passage = emulator
        .passage_builder()
        .retry(RetryPolicy::disabled())
        .build()
        .unwrap();
    // The client keeps this call's connection open, idle, for the next one.
    get_app(&passage).await.unwrap();
    emulator.shutdown().await;
    assert!(TcpStream::connect(addr).await.is_err());
    assert!(TcpListener::bind(addr).await.is_ok(), "the port is free");
    let after = get_app(&passage).await;
    assert!(after.is_err(), "the idle connection was closed too");
}

#[tokio::test]
async fn dropping_the_emulator_stops_it_and_frees_its_port() {
    let emulator = emulator().await;
    let addr = emulator.local_addr();
    let passage = emulator.passage().clone();
    get_app(&passage).await.unwrap();
    drop(emulator);
    wait_until_free(addr).await;
    assert!(TcpStream::connect(addr).await.is_err());
}
