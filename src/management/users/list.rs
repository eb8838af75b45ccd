//! Listing users: one page with [`ListUsers::send`], or every user as a stream with
//! [`ListUsers::stream`].

use std::pin::Pin;
use std::task::{Context, Poll};
use std::vec;

use chrono::{DateTime, Utc};
use futures_core::Stream;
use futures_util::stream::{self, BoxStream, StreamExt};

use super::filter::{self, Filter, SortField, SortOrder};
use crate::management::enums::UserStatus;
use crate::management::raw::types::{ListUsersResponse, UserSummary};
use crate::management::transport;
use crate::management::{Client, ManagementError};

/// The largest page the API serves.
pub const MAX_PAGE_SIZE: u32 = 500;
/// The largest page number the API reads (its page numbers are 64-bit signed integers).
const MAX_PAGE: u64 = i64::MAX as u64;

/// A listing of the app's users: filters, order and page size, then [`send`](Self::send) for
/// one page or [`stream`](Self::stream) for all of them. Start with
/// [`Users::list`](crate::users::Users::list).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let emulator = passage_identity::emulator::Emulator::start().await?;
/// # let passage = emulator.passage();
/// # let id = emulator.create_user_directly(Some("ada@example.com"), None)?.id;
/// # emulator.record_login(&id)?;
/// use futures_util::TryStreamExt;
/// use passage_identity::{enums::UserStatus, users::{Filter, SortField, SortOrder}};
///
/// let mut users = passage
///     .user()
///     .list()
///     .status(UserStatus::Active)
///     .login_count(Filter::gt(0))
///     .order_by(SortField::CreatedAt, SortOrder::Asc)
///     .limit(200)
///     .stream();
/// while let Some(user) = users.try_next().await? {
///     println!("{} {}", user.id, user.email);
/// }
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
#[must_use = "a ListUsers does nothing until .send() or .stream() is called"]
pub struct ListUsers<'a> {
    client: &'a Client,
    query: Query,
}

#[derive(Clone, Debug, Default)]
struct Query {
    limit: Option<u32>,
    page: Option<u64>,
    created_before: Option<i64>,
    order_by: Vec<(SortField, SortOrder)>,
    id: Option<Filter<String>>,
    identifier: Option<Filter<String>>,
    status: Option<Filter<UserStatus>>,
    login_count: Option<Filter<i64>>,
    created_at: Option<Filter<DateTime<Utc>>>,
    updated_at: Option<Filter<DateTime<Utc>>>,
    last_login_at: Option<Filter<DateTime<Utc>>>,
}

impl<'a> ListUsers<'a> {
    pub(crate) fn new(client: &'a Client) -> Self {
        Self {
            client,
            query: Query::default(),
        }
    }

    /// Users per page, 1 to 500 ([`MAX_PAGE_SIZE`]). Default: the service's. A stream holds
    /// one page in memory at a time.
    ///
    /// ```no_run
    /// # async fn demo(passage: passage_identity::Passage) -> Result<(), passage_identity::ManagementError> {
    /// let first_ten = passage.user().list().limit(10).send().await?;
    /// # let _ = first_ten; Ok(()) }
    /// ```
    pub fn limit(mut self, users_per_page: u32) -> Self {
        self.query.limit = Some(users_per_page);
        self
    }

    /// The page [`send`](Self::send) fetches (from 1 to `i64::MAX`, as the API numbers them), or
    /// the first page a [`stream`](Self::stream) fetches. Default: 1.
    ///
    /// ```no_run
    /// # async fn demo(passage: passage_identity::Passage) -> Result<(), passage_identity::ManagementError> {
    /// let first = passage.user().list().limit(50).send().await?;
    /// let second = passage
    ///     .user()
    ///     .list()
    ///     .limit(50)
    ///     .created_before(first.created_before) // keep the pages stable
    ///     .page(2)
    ///     .send()
    ///     .await?;
    /// # let _ = second; Ok(()) }
    /// ```
    pub fn page(mut self, page: u64) -> Self {
        self.query.page = Some(page);
        self
    }

    /// Lists only users created before this Unix time (seconds). Pages fetched with the same
    /// anchor stay stable while users are being created. [`stream`](Self::stream) sets it
    /// itself from the first page's answer.
    ///
    /// ```no_run
    /// # async fn demo(passage: passage_identity::Passage) -> Result<(), passage_identity::ManagementError> {
    /// let before_2025 = passage.user().list().created_before(1_735_689_600).send().await?;
    /// # let _ = before_2025; Ok(()) }
    /// ```
    pub fn created_before(mut self, unix_seconds: i64) -> Self {
        self.query.created_before = Some(unix_seconds);
        self
    }

    /// Sorts by `field`; call again to add a tie-breaker. Each field may be named once (a
    /// second mention is an input error). The service cannot sort by `identifier`, so
    /// [`SortField`] has no such field.
    ///
    /// ```no_run
    /// # async fn demo(passage: passage_identity::Passage) -> Result<(), passage_identity::ManagementError> {
    /// use passage_identity::users::{SortField, SortOrder};
    /// let most_active = passage
    ///     .user()
    ///     .list()
    ///     .order_by(SortField::LoginCount, SortOrder::Desc)
    ///     .order_by(SortField::Id, SortOrder::Asc)
    ///     .send()
    ///     .await?;
    /// # let _ = most_active; Ok(()) }
    /// ```
    pub fn order_by(mut self, field: SortField, order: SortOrder) -> Self {
        self.query.order_by.push((field, order));
        self
    }

    /// Filters on the user id.
    ///
    /// ```no_run
    /// # async fn demo(passage: passage_identity::Passage) -> Result<(), passage_identity::ManagementError> {
    /// let one = passage.user().list().id("2ubD84sL3kKHNd0dmYKAWmDn").send().await?;
    /// # let _ = one; Ok(()) }
    /// ```
    pub fn id(mut self, filter: impl Into<Filter<String>>) -> Self {
        self.query.id = Some(filter.into());
        self
    }

    /// Filters on the identifier: the email address or phone number.
    ///
    /// ```no_run
    /// # async fn demo(passage: passage_identity::Passage) -> Result<(), passage_identity::ManagementError> {
    /// use passage_identity::users::Filter;
    /// let staff = passage.user().list().identifier(Filter::like("%@example.com")).send().await?;
    /// # let _ = staff; Ok(()) }
    /// ```
    pub fn identifier(mut self, filter: impl Into<Filter<String>>) -> Self {
        self.query.identifier = Some(filter.into());
        self
    }

    /// Filters on the status.
    ///
    /// ```no_run
    /// # async fn demo(passage: passage_identity::Passage) -> Result<(), passage_identity::ManagementError> {
    /// use passage_identity::enums::UserStatus;
    /// let inactive = passage.user().list().status(UserStatus::Inactive).send().await?;
    /// # let _ = inactive; Ok(()) }
    /// ```
    pub fn status(mut self, filter: impl Into<Filter<UserStatus>>) -> Self {
        self.query.status = Some(filter.into());
        self
    }

    /// Filters on the number of sign-ins.
    ///
    /// ```no_run
    /// # async fn demo(passage: passage_identity::Passage) -> Result<(), passage_identity::ManagementError> {
    /// use passage_identity::users::Filter;
    /// let returning = passage.user().list().login_count(Filter::gt(1)).send().await?;
    /// # let _ = returning; Ok(()) }
    /// ```
    pub fn login_count(mut self, filter: impl Into<Filter<i64>>) -> Self {
        self.query.login_count = Some(filter.into());
        self
    }

    /// Filters on the creation time.
    ///
    /// ```no_run
    /// # async fn demo(passage: passage_identity::Passage) -> Result<(), passage_identity::ManagementError> {
    /// use passage_identity::users::Filter;
    /// let last_week = chrono::Utc::now() - chrono::Duration::days(7);
    /// let new_users = passage.user().list().created_at(Filter::gt(last_week)).send().await?;
    /// # let _ = new_users; Ok(()) }
    /// ```
    pub fn created_at(mut self, filter: impl Into<Filter<DateTime<Utc>>>) -> Self {
        self.query.created_at = Some(filter.into());
        self
    }

    /// Filters on the time of the last change.
    ///
    /// ```no_run
    /// # async fn demo(passage: passage_identity::Passage) -> Result<(), passage_identity::ManagementError> {
    /// use passage_identity::users::Filter;
    /// let yesterday = chrono::Utc::now() - chrono::Duration::days(1);
    /// let changed = passage.user().list().updated_at(Filter::gt(yesterday)).send().await?;
    /// # let _ = changed; Ok(()) }
    /// ```
    pub fn updated_at(mut self, filter: impl Into<Filter<DateTime<Utc>>>) -> Self {
        self.query.updated_at = Some(filter.into());
        self
    }

    /// Filters on the time of the last sign-in.
    ///
    /// ```no_run
    /// # async fn demo(passage: passage_identity::Passage) -> Result<(), passage_identity::ManagementError> {
    /// use passage_identity::users::Filter;
    /// let a_year_ago = chrono::Utc::now() - chrono::Duration::days(365);
    /// let dormant = passage.user().list().last_login_at(Filter::lt(a_year_ago)).send().await?;
    /// # let _ = dormant; Ok(()) }
    /// ```
    pub fn last_login_at(mut self, filter: impl Into<Filter<DateTime<Utc>>>) -> Self {
        self.query.last_login_at = Some(filter.into());
        self
    }

    /// Fetches one page (the first, or the one set with [`page`](Self::page)). The answer
    /// echoes `created_before`: pass it back with [`created_before`](Self::created_before)
    /// when fetching later pages by hand.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let emulator = passage_identity::emulator::Emulator::start().await?;
    /// # let passage = emulator.passage();
    /// # for i in 0..25 {
    /// #     emulator.create_user_directly(Some(&format!("user{i}@example.com")), None)?;
    /// # }
    /// let page = passage.user().list().limit(20).send().await?;
    /// assert_eq!(page.total_users, 25);
    /// assert_eq!(page.users.len(), 20);
    ///
    /// // The next page, anchored like the first:
    /// let rest = passage
    ///     .user()
    ///     .list()
    ///     .limit(20)
    ///     .page(2)
    ///     .created_before(page.created_before)
    ///     .send()
    ///     .await?;
    /// assert_eq!(rest.users.len(), 5);
    /// # Ok(()) }
    /// ```
    pub async fn send(self) -> Result<ListUsersResponse, ManagementError> {
        self.query.check()?;
        fetch(self.client, &self.query).await
    }

    /// Every matching user, page after page, as a stream. Pages are fetched one at a time as
    /// the stream is read, so memory holds one page at most.
    ///
    /// The first page's `created_before` (the anchor the service chose, or the one set with
    /// [`created_before`](Self::created_before)) is sent with every later page, so users
    /// created while the stream runs neither shift pages (no duplicates, none skipped) nor
    /// appear in it. The stream ends after a page without users or without a `next` link.
    ///
    /// An error ends the stream after it is yielded; failed page fetches are retried like any
    /// read first ([`RetryPolicy`](crate::RetryPolicy)). An answer for another page than the
    /// one asked for is an error ([`ManagementError::InvalidResponse`]) rather than a listing
    /// that repeats users for ever.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let emulator = passage_identity::emulator::Emulator::start().await?;
    /// # let passage = emulator.passage();
    /// # for i in 0..25 {
    /// #     emulator.create_user_directly(Some(&format!("user{i}@example.com")), None)?;
    /// # }
    /// use futures_util::TryStreamExt;
    ///
    /// let emails: Vec<String> = passage
    ///     .user()
    ///     .list()
    ///     .limit(10) // three pages
    ///     .stream()
    ///     .map_ok(|user| user.email)
    ///     .try_collect()
    ///     .await?;
    /// assert_eq!(emails.len(), 25);
    /// # Ok(()) }
    /// ```
    pub fn stream(self) -> UserStream {
        // An owned clone (an `Arc` inside) so the stream can outlive the borrow and be moved
        // into a task.
        let client = self.client.clone();
        let state = match self.query.check() {
            Ok(()) => State::Next {
                client,
                query: self.query,
            },
            Err(error) => State::Failed(error),
        };
        UserStream {
            inner: stream::unfold(state, next_user).boxed(),
        }
    }
}

impl Query {
    fn check(&self) -> Result<(), ManagementError> {
        if let Some(limit) = self.limit
            && !(1..=MAX_PAGE_SIZE).contains(&limit)
        {
            return Err(ManagementError::invalid(
                "limit",
                format!("must be between 1 and {MAX_PAGE_SIZE}, not {limit}"),
            ));
        }
        if let Some(page) = self.page
            && !(1..=MAX_PAGE).contains(&page)
        {
            return Err(ManagementError::invalid(
                "page",
                format!("pages are numbered from 1 to {MAX_PAGE}, not {page}"),
            ));
        }
        filter::check_order_by(&self.order_by)?;
        for (field, filter) in [("id", &self.id), ("identifier", &self.identifier)] {
            if let Some(filter) = filter {
                filter::check_string(field, filter)?;
            }
        }
        if let Some(filter) = &self.status {
            filter::check_status(filter)?;
        }
        if let Some(filter) = &self.login_count {
            filter::check_count("login_count", filter)?;
        }
        for (field, filter) in [
            ("created_at", &self.created_at),
            ("updated_at", &self.updated_at),
            ("last_login_at", &self.last_login_at),
        ] {
            if let Some(filter) = filter {
                filter::check_time(field, filter)?;
            }
        }
        Ok(())
    }
}

async fn fetch(client: &Client, query: &Query) -> Result<ListUsersResponse, ManagementError> {
    let mut request = client.raw().list_paginated_users().app_id(client.app_id());
    if let Some(limit) = query.limit {
        request = request.limit(u64::from(limit));
    }
    if let Some(page) = query.page {
        request = request.page(page);
    }
    if let Some(anchor) = query.created_before {
        request = request.created_before(anchor);
    }
    if !query.order_by.is_empty() {
        request = request.order_by(filter::order_by(&query.order_by));
    }
    if let Some(f) = &query.id {
        request = request.id(filter::text(f));
    }
    if let Some(f) = &query.identifier {
        request = request.identifier(filter::text(f));
    }
    if let Some(f) = &query.status {
        request = request.status(filter::status(f));
    }
    if let Some(f) = &query.login_count {
        request = request.login_count(filter::count(f));
    }
    if let Some(f) = &query.created_at {
        request = request.created_at(filter::time(f));
    }
    if let Some(f) = &query.updated_at {
        request = request.updated_at(filter::time(f));
    }
    if let Some(f) = &query.last_login_at {
        request = request.last_login_at(filter::time(f));
    }
    transport::call(client, request.send()).await
}

/// Every user of a listing, one page in memory at a time. Made by [`ListUsers::stream`].
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let emulator = passage_identity::emulator::Emulator::start().await?;
/// # let passage = emulator.passage();
/// # for i in 0..25 {
/// #     emulator.create_user_directly(Some(&format!("user{i}@example.com")), None)?;
/// # }
/// use futures_util::StreamExt;
///
/// let mut users = passage.user().list().stream();
/// let mut count = 0;
/// while let Some(user) = users.next().await {
///     let _user = user?;
///     count += 1;
/// }
/// assert_eq!(count, 25);
/// # Ok(()) }
/// ```
#[must_use = "streams do nothing unless polled"]
pub struct UserStream {
    inner: BoxStream<'static, Result<UserSummary, ManagementError>>,
}

impl std::fmt::Debug for UserStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserStream").finish_non_exhaustive()
    }
}

impl Stream for UserStream {
    type Item = Result<UserSummary, ManagementError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.inner.as_mut().poll_next(cx)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.inner.size_hint()
    }
}

enum State {
    /// Fetch the page `query.page` (1 if unset).
    Next {
        client: Client,
        query: Query,
    },
    /// Hand out the users of the current page, then fetch the next one if there is one.
    Page {
        users: vec::IntoIter<UserSummary>,
        next: Option<(Client, Query)>,
    },
    /// The checks failed before any request: yield that error, then end.
    Failed(ManagementError),
    Done,
}

async fn next_user(mut state: State) -> Option<(Result<UserSummary, ManagementError>, State)> {
    loop {
        state = match state {
            State::Done => return None,
            State::Failed(error) => return Some((Err(error), State::Done)),
            State::Page { mut users, next } => match users.next() {
                Some(user) => return Some((Ok(user), State::Page { users, next })),
                None => match next {
                    Some((client, query)) => State::Next { client, query },
                    None => return None,
                },
            },
            State::Next { client, mut query } => {
                let page = match fetch(&client, &query).await {
                    Ok(page) => page,
                    Err(error) => return Some((Err(error), State::Done)),
                };
                if let Err(error) = check_page_number(query.page, &page) {
                    return Some((Err(error), State::Done));
                }
                // The first page's anchor holds for every later page.
                if query.created_before.is_none() {
                    query.created_before = Some(page.created_before);
                }
                let following = query
                    .page
                    .unwrap_or(1)
                    .checked_add(1)
                    .filter(|page| *page <= MAX_PAGE);
                let next = match following {
                    Some(number) if has_next_page(&page) => {
                        query.page = Some(number);
                        Some((client, query))
                    }
                    _ => None,
                };
                State::Page {
                    users: page.users.into_iter(),
                    next,
                }
            }
        };
    }
}

/// Whether the listing goes on after this page: it held users and links to a next one. A page
/// shorter than the limit is no signal of its own: one that still links onwards is followed, so
/// that no user is dropped; the page number check keeps that from going round in circles.
fn has_next_page(page: &ListUsersResponse) -> bool {
    !page.users.is_empty() && !page.links.next.href.is_empty()
}

/// When a page was asked for, the answer must be that page: a server that ignored `page` would
/// hand out the same users again and again, for ever.
fn check_page_number(asked: Option<u64>, page: &ListUsersResponse) -> Result<(), ManagementError> {
    match asked {
        Some(asked) if !page.users.is_empty() && i64::try_from(asked) != Ok(page.page) => {
            Err(ManagementError::unexpected_answer(
                "list_paginated_users",
                format!(
                    "page {} when page {asked} was asked for; going on would list users again",
                    page.page
                ),
            ))
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::management::raw::types::{Link, PaginationLinks};

    fn page(users: usize, limit: i64, next: &str) -> ListUsersResponse {
        let link = |href: &str| Link {
            href: href.to_owned(),
        };
        let user = UserSummary {
            created_at: Utc::now(),
            email: String::new(),
            email_verified: false,
            external_id: String::new(),
            id: "u".into(),
            last_login_at: Utc::now(),
            login_count: 0,
            phone: String::new(),
            phone_verified: false,
            status: UserStatus::Active,
            updated_at: Utc::now(),
            user_metadata: None,
        };
        ListUsersResponse {
            created_before: 0,
            limit,
            links: PaginationLinks {
                first: link(""),
                last: link(""),
                next: link(next),
                previous: link(""),
                self_: link(""),
            },
            page: 1,
            total_users: 0,
            users: vec![user; users],
        }
    }

    #[test]
    fn a_page_with_users_and_a_next_link_continues() {
        assert!(has_next_page(&page(10, 10, "/v1/apps/a/users?page=2")));
        assert!(has_next_page(&page(3, 10, "/v1/apps/a/users?page=2")));
    }

    #[test]
    fn an_empty_next_link_ends_the_listing() {
        assert!(!has_next_page(&page(10, 10, "")));
    }

    #[test]
    fn an_empty_page_ends_the_listing() {
        assert!(!has_next_page(&page(0, 10, "/v1/apps/a/users?page=2")));
    }

    #[test]
    fn an_answer_for_another_page_than_asked_is_an_error() {
        let first = page(10, 10, "next");
        assert!(check_page_number(None, &first).is_ok());
        assert!(check_page_number(Some(1), &first).is_ok());
        assert!(matches!(
            check_page_number(Some(2), &first),
            Err(ManagementError::InvalidResponse { .. })
        ));
        assert!(check_page_number(Some(2), &page(0, 10, "")).is_ok());
    }

    #[test]
    fn limits_outside_the_api_range_are_rejected() {
        for limit in [0, MAX_PAGE_SIZE + 1] {
            let query = Query {
                limit: Some(limit),
                ..Query::default()
            };
            assert!(matches!(
                query.check(),
                Err(ManagementError::InvalidInput { field: "limit", .. })
            ));
        }
    }

    #[test]
    fn pages_outside_the_api_range_are_rejected() {
        for page in [0, MAX_PAGE + 1, u64::MAX] {
            let query = Query {
                page: Some(page),
                ..Query::default()
            };
            assert!(matches!(
                query.check(),
                Err(ManagementError::InvalidInput { field: "page", .. })
            ));
        }
        let last = Query {
            page: Some(MAX_PAGE),
            ..Query::default()
        };
        assert!(last.check().is_ok());
    }
}
