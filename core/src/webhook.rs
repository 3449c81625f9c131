//! Webhook signatures: verify and sign every scheme a Fast.io receiver may meet.
