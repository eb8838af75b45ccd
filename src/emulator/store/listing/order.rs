//! Listing order: `order_by=field:ASC|DESC,...` over the fields a user can be sorted by.

use std::cmp::Ordering;

use crate::emulator::rejection::ApiError;
use crate::emulator::store::UserRecord;

/// A field users can be sorted by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SortField {
    CreatedAt,
    UpdatedAt,
    Id,
    Email,
    Phone,
    LoginCount,
    LastLoginAt,
    Status,
}

impl SortField {
    const NAMES: &'static str =
        "created_at, updated_at, id, email, phone, login_count, last_login_at, status";

    fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "created_at" => Self::CreatedAt,
            "updated_at" => Self::UpdatedAt,
            "id" => Self::Id,
            "email" => Self::Email,
            "phone" => Self::Phone,
            "login_count" => Self::LoginCount,
            "last_login_at" => Self::LastLoginAt,
            "status" => Self::Status,
            _ => return None,
        })
    }

    /// How `a` and `b` compare on this field.
    pub(crate) fn compare(self, a: &UserRecord, b: &UserRecord) -> Ordering {
        match self {
            Self::CreatedAt => a.created_at.cmp(&b.created_at),
            Self::UpdatedAt => a.updated_at.cmp(&b.updated_at),
            Self::Id => a.id.cmp(&b.id),
            Self::Email => a.email.cmp(&b.email),
            Self::Phone => a.phone.cmp(&b.phone),
            Self::LoginCount => a.login_count.cmp(&b.login_count),
            Self::LastLoginAt => a.last_login_or_zero().cmp(&b.last_login_or_zero()),
            Self::Status => a.status.as_str().cmp(b.status.as_str()),
        }
    }
}

/// Ascending or descending.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Direction {
    Asc,
    Desc,
}

/// Parses `order_by` as documented: a comma-separated list of `field:ASC` or `field:DESC`
/// (directions in capitals, no spaces, no empty items; `identifier` is not a field to order
/// by). A field named twice counts once, where it first appears.
pub(crate) fn parse_order_by(value: &str) -> Result<Vec<(SortField, Direction)>, ApiError> {
    let mut order: Vec<(SortField, Direction)> = Vec::new();
    for item in value.split(',') {
        let (name, direction) = item.split_once(':').ok_or_else(|| {
            ApiError::invalid_request(format!(
                "order_by: {item:?} is not <field>:ASC or <field>:DESC"
            ))
        })?;
        let field = SortField::parse(name).ok_or_else(|| {
            ApiError::invalid_request(format!(
                "order_by: cannot order by {name:?}; fields: {}",
                SortField::NAMES
            ))
        })?;
        let direction = match direction {
            "ASC" => Direction::Asc,
            "DESC" => Direction::Desc,
            _ => {
                return Err(ApiError::invalid_request(format!(
                    "order_by: direction {direction:?} is not ASC or DESC"
                )));
            }
        };
        if !order.iter().any(|(f, _)| *f == field) {
            order.push((field, direction));
        }
    }
    Ok(order)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_by_rejects_unknown_fields_and_directions() {
        assert!(parse_order_by("identifier:ASC").is_err());
        assert!(parse_order_by("email:UP").is_err());
        assert!(parse_order_by("email").is_err());
        assert!(parse_order_by("email:asc").is_err());
        assert!(parse_order_by("email:ASC, login_count:DESC").is_err());
        assert!(parse_order_by("email:ASC,").is_err());
        assert_eq!(
            parse_order_by("email:ASC,login_count:DESC").unwrap(),
            vec![
                (SortField::Email, Direction::Asc),
                (SortField::LoginCount, Direction::Desc)
            ]
        );
    }
}
