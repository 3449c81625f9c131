//! Outbound webhooks: signing (`sign`) and delivery with retries (`deliver`).

pub mod deliver;
pub mod sign;
