//! The management client against the emulator: connection reuse and the memory of a listing.
//!
//! `cargo bench --bench management`
//!
//! - `management/user_get`: one `user().get` after another, through a loopback forwarder that
//!   counts the connections it accepts; printed: connections per 100 sequential calls (target:
//!   1, the pool keeps the connection). Then a new client makes 8 calls at once, twice:
//!   printed, the connections each wave opened (target for the second: 0, the calls share the
//!   pool).
//! - The peak memory the client allocates while `list().stream()` walks 10,000 users (seeded
//!   with the emulator's Rust controls), counted by a global allocator on the client's thread
//!   only (the emulator runs on other threads). Printed beside it: the peak for one page, and
//!   the same walk over 1,000 users, to show the stream holds a page, not the listing.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::hint::black_box;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicIsize, AtomicUsize, Ordering};

mod support;

use criterion::{Criterion, criterion_group};
use futures_util::TryStreamExt;
use futures_util::future::try_join_all;
use passage_identity::Passage;
use passage_identity::emulator::Emulator;
use tokio::net::{TcpListener, TcpStream};

/// Counts the bytes allocated by threads that asked to be counted.
struct Counting;

static CURRENT: AtomicIsize = AtomicIsize::new(0);
static PEAK: AtomicIsize = AtomicIsize::new(0);

thread_local! {
    static COUNTED: Cell<bool> = const { Cell::new(false) };
}

fn counted() -> bool {
    COUNTED.try_with(Cell::get).unwrap_or(false)
}

fn grow(bytes: usize) {
    let now = CURRENT.fetch_add(bytes as isize, Ordering::Relaxed) + bytes as isize;
    PEAK.fetch_max(now, Ordering::Relaxed);
}

fn shrink(bytes: usize) {
    CURRENT.fetch_sub(bytes as isize, Ordering::Relaxed);
}

// SAFETY: every call is passed on to the system allocator unchanged; the counting only reads
// sizes and touches atomics and a const-initialised thread-local, none of which allocates.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: same contract as the caller's.
        let pointer = unsafe { System.alloc(layout) };
        if !pointer.is_null() && counted() {
            grow(layout.size());
        }
        pointer
    }

    unsafe fn dealloc(&self, pointer: *mut u8, layout: Layout) {
        if counted() {
            shrink(layout.size());
        }
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(pointer, layout) }
    }

    unsafe fn realloc(&self, pointer: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: same contract as the caller's.
        let moved = unsafe { System.realloc(pointer, layout, new_size) };
        if !moved.is_null() && counted() {
            grow(new_size);
            shrink(layout.size());
        }
        moved
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// The most bytes this thread held at once, above what it held when `run` started.
fn peak_of<T>(run: impl FnOnce() -> T) -> (T, usize) {
    CURRENT.store(0, Ordering::Relaxed);
    PEAK.store(0, Ordering::Relaxed);
    COUNTED.with(|c| c.set(true));
    let value = run();
    COUNTED.with(|c| c.set(false));
    (value, PEAK.load(Ordering::Relaxed).max(0) as usize)
}

/// A TCP forwarder on loopback to `target` that counts the connections it accepts.
async fn counting_forwarder(target: SocketAddr) -> (SocketAddr, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = listener.local_addr().expect("local address");
    let accepted = Arc::new(AtomicUsize::new(0));
    let count = Arc::clone(&accepted);
    tokio::spawn(async move {
        while let Ok((mut inbound, _)) = listener.accept().await {
            count.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(async move {
                if let Ok(mut outbound) = TcpStream::connect(target).await {
                    let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                }
            });
        }
    });
    (address, accepted)
}

/// A new client (its own connection pool) whose management calls go through `forwarder`.
fn client_through(emulator: &Emulator, forwarder: SocketAddr) -> Passage {
    emulator
        .passage_builder()
        .api_base_url(format!("http://{forwarder}/v1"))
        .build()
        .expect("valid configuration")
}

struct Fixture {
    /// Runs the emulator and the forwarder, on threads of their own.
    _server_runtime: tokio::runtime::Runtime,
    client_runtime: tokio::runtime::Runtime,
    emulator: Emulator,
    forwarder: SocketAddr,
    through_forwarder: Passage,
    accepted: Arc<AtomicUsize>,
    user_id: String,
}

fn fixture() -> Fixture {
    let server_runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    let emulator = server_runtime
        .block_on(Emulator::start())
        .expect("the emulator starts");
    let (forwarder, accepted) = server_runtime.block_on(counting_forwarder(emulator.local_addr()));
    let through_forwarder = client_through(&emulator, forwarder);
    let user_id = emulator
        .create_user_directly(Some("ada@example.com"), None)
        .expect("user")
        .id;
    Fixture {
        _server_runtime: server_runtime,
        client_runtime: tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime"),
        emulator,
        forwarder,
        through_forwarder,
        accepted,
        user_id,
    }
}

impl Fixture {
    fn get_user(&self) {
        self.get_user_with(&self.through_forwarder);
    }

    fn get_user_with(&self, passage: &Passage) {
        let user = self
            .client_runtime
            .block_on(passage.user().get(black_box(&self.user_id)));
        black_box(user.expect("the user"));
    }

    /// Seeds users up to `total` (the emulator's store, no HTTP).
    fn seed(&self, total: usize) {
        for i in self.emulator.user_count()..total {
            self.emulator
                .create_user_directly(Some(&format!("user{i:05}@example.com")), None)
                .expect("seeding");
        }
    }

    /// Streams every user with pages of `limit`; returns how many came.
    fn stream_all(&self, limit: u32) -> usize {
        self.client_runtime.block_on(async {
            let mut users = self.emulator.passage().user().list().limit(limit).stream();
            let mut count = 0;
            while let Some(user) = users.try_next().await.expect("a page") {
                black_box(user);
                count += 1;
            }
            count
        })
    }

    fn one_page(&self, limit: u32) -> usize {
        self.client_runtime.block_on(async {
            let page = self
                .emulator
                .passage()
                .user()
                .list()
                .limit(limit)
                .send()
                .await
                .expect("a page");
            black_box(page).users.len()
        })
    }
}

fn benches(c: &mut Criterion) {
    let f = fixture();
    let before = f.accepted.load(Ordering::SeqCst);
    let mut calls = 0_u64;
    c.bench_function("management/user_get", |b| {
        b.iter(|| {
            calls += 1;
            f.get_user()
        })
    });
    let during_bench = f.accepted.load(Ordering::SeqCst) - before;

    println!();
    let fresh = client_through(&f.emulator, f.forwarder);
    let before = f.accepted.load(Ordering::SeqCst);
    for _ in 0..100 {
        f.get_user_with(&fresh);
    }
    let connections = f.accepted.load(Ordering::SeqCst) - before;
    println!(
        "management: {connections} connection(s) accepted for 100 sequential user().get calls from a new client [target 1]; {during_bench} for the {calls} calls of the timed run"
    );

    // Concurrent calls share the pool: a new client makes AT_ONCE calls at once, twice; the
    // second wave finds the first wave's connections idle in the pool.
    const AT_ONCE: usize = 8;
    let fresh = client_through(&f.emulator, f.forwarder);
    let users = fresh.user();
    let wave = || {
        let calls = (0..AT_ONCE).map(|_| users.get(&f.user_id));
        let users = f.client_runtime.block_on(try_join_all(calls));
        assert_eq!(users.expect("the users").len(), AT_ONCE);
        f.accepted.load(Ordering::SeqCst)
    };
    let before = f.accepted.load(Ordering::SeqCst);
    let first = wave() - before;
    let second = wave() - before - first;
    println!(
        "management: {AT_ONCE} concurrent user().get calls from a new client opened {first} connection(s) [at most {AT_ONCE}]; {AT_ONCE} more after them opened {second} [target 0: they share the pool]"
    );

    const LIMIT: u32 = 500;
    // `cargo test --all-targets` runs this once: then fewer users, and no measurement.
    let (few, many) = if support::measuring() {
        (1_000, 10_000)
    } else {
        println!("(a test run, not a measurement: `cargo bench --bench management` measures)");
        (600, 1_200)
    };
    // One walk first so the connection and lazily made state exist before counting.
    f.seed(few);
    f.stream_all(LIMIT);
    let (count, small) = peak_of(|| f.stream_all(LIMIT));
    assert_eq!(count, few);
    f.seed(many);
    let (count, large) = peak_of(|| f.stream_all(LIMIT));
    assert_eq!(count, many);
    let (page, one_page) = peak_of(|| f.one_page(LIMIT));
    assert_eq!(page, LIMIT as usize);
    println!(
        "management: list().stream() over {many} users (pages of {LIMIT}): peak {} KiB allocated by the client; over {few} users: {} KiB; one page alone: {} KiB",
        large / 1024,
        small / 1024,
        one_page / 1024
    );
}

criterion_group! {
    name = management;
    config = support::criterion();
    targets = benches
}

fn main() {
    management();
    Criterion::default().configure_from_args().final_summary();
}
