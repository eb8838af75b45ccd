//! A server on 127.0.0.1 that answers each request with the next reply of a script, byte for
//! byte, for the faults the emulator cannot make: a body cut short, a JSON document cut in the
//! middle, an answer to a first attempt that was carried out but lost. Every connection is
//! closed after its answer. Dropping the server stops it and every connection it holds.

use std::sync::{Arc, Mutex};

use passage_identity::Passage;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

use crate::common::users::quick_retries;

/// One answer of the script.
#[derive(Clone, Debug)]
pub enum Reply {
    /// These bytes, then the connection is closed.
    Bytes(Vec<u8>),
    /// No answer at all; the connection stays open until the server is dropped.
    Hang,
}

/// A complete answer with a JSON body.
pub fn json(status: u16, body: &str) -> Reply {
    with_body(status, "application/json", body.as_bytes())
}

/// A complete answer with any body.
pub fn with_body(status: u16, content_type: &str, body: &[u8]) -> Reply {
    with_header(status, content_type, "", body)
}

/// A complete answer with one more header line (`name: value`, or nothing).
pub fn with_header(status: u16, content_type: &str, header: &str, body: &[u8]) -> Reply {
    let mut bytes = head(status, content_type, header, body.len());
    bytes.extend_from_slice(body);
    Reply::Bytes(bytes)
}

/// An answer whose `Content-Length` promises more than the bytes that come before the
/// connection closes.
pub fn cut_short(status: u16, body: &str, promised: usize) -> Reply {
    let mut bytes = head(status, "application/json", "", promised);
    bytes.extend_from_slice(body.as_bytes());
    Reply::Bytes(bytes)
}

/// Passage's error answer.
pub fn api_error(status: u16, code: &str) -> Reply {
    json(
        status,
        &serde_json::json!({ "code": code, "error": code.replace('_', " ") }).to_string(),
    )
}

fn head(status: u16, content_type: &str, header: &str, length: usize) -> Vec<u8> {
    let header = if header.is_empty() {
        String::new()
    } else {
        format!("{header}\r\n")
    };
    format!(
        "HTTP/1.1 {status} Scripted\r\ncontent-type: {content_type}\r\n{header}\
         content-length: {length}\r\nconnection: close\r\n\r\n"
    )
    .into_bytes()
}

pub struct Scripted {
    base: String,
    seen: Arc<Mutex<Vec<String>>>,
    task: JoinHandle<()>,
}

impl Scripted {
    /// Serves `replies` in order, one per request; once they run out, every request gets a 500.
    pub async fn start(replies: Vec<Reply>) -> Scripted {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}/v1", listener.local_addr().unwrap());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let task = tokio::spawn(serve(listener, replies, seen.clone()));
        Scripted { base, seen, task }
    }

    /// A client of this server for the app `app`, retrying with tiny waits.
    pub fn passage(&self, retries: u32) -> Passage {
        self.builder()
            .retry(quick_retries(retries))
            .build()
            .unwrap()
    }

    pub fn builder(&self) -> passage_identity::PassageBuilder {
        Passage::builder("app")
            .api_key("key")
            .api_base_url(&self.base)
    }

    /// `METHOD /path` of every request so far.
    pub fn seen(&self) -> Vec<String> {
        self.seen.lock().unwrap().clone()
    }
}

impl Drop for Scripted {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn serve(listener: TcpListener, replies: Vec<Reply>, seen: Arc<Mutex<Vec<String>>>) {
    let mut replies = replies.into_iter();
    // Dropped with the task: aborts the connections still held open.
    let mut connections = tokio::task::JoinSet::new();
    while let Ok((socket, _)) = listener.accept().await {
        let reply = replies
            .next()
            .unwrap_or_else(|| api_error(500, "script_exhausted"));
        let seen = seen.clone();
        connections.spawn(answer(socket, reply, seen));
    }
}

async fn answer(mut socket: TcpStream, reply: Reply, seen: Arc<Mutex<Vec<String>>>) {
    let Some(request_line) = read_request(&mut socket).await else {
        return;
    };
    seen.lock().unwrap().push(request_line);
    match reply {
        Reply::Bytes(bytes) => {
            let _ = socket.write_all(&bytes).await;
            let _ = socket.shutdown().await;
        }
        Reply::Hang => std::future::pending::<()>().await,
    }
}

/// Reads one request (head and body); returns `METHOD /path` without the query.
async fn read_request(socket: &mut TcpStream) -> Option<String> {
    let mut received = Vec::new();
    let mut buffer = [0u8; 4096];
    let head_end = loop {
        let n = socket.read(&mut buffer).await.ok()?;
        if n == 0 {
            return None;
        }
        received.extend_from_slice(&buffer[..n]);
        if let Some(at) = received.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
    };
    let head = String::from_utf8_lossy(&received[..head_end]).into_owned();
    let length: usize = head
        .lines()
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse().ok())?
        })
        .unwrap_or(0);
    while received.len() < head_end + length {
        let n = socket.read(&mut buffer).await.ok()?;
        if n == 0 {
            break;
        }
        received.extend_from_slice(&buffer[..n]);
    }
    let mut parts = head.lines().next()?.split(' ');
    let method = parts.next()?;
    let target = parts.next()?;
    let path = target.split('?').next().unwrap_or(target);
    Some(format!("{method} {path}"))
}
