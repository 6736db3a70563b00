//! The fake SMS provider as the tests start it.

use weapp_builder::sms_fake::{self, FakeConfig, FakeSmsServer};

/// The test API key id.
pub const SECRET_ID: &str = "AKIDfakeprovider0001";
/// The test API key secret.
pub const SECRET_KEY: &str = "fake-provider-secret-key-0123456";
/// The test SDK app id.
pub const SDK_APP_ID: &str = "1400006666";
/// The agency's signature in tests (4 characters with 【】).
pub const SIGN_NAME: &str = "微站";
/// The receipt path token in tests.
pub const RECEIPT_TOKEN: &str = "rcpt-4f1c2b9e7a";

/// Starts a fake provider; receipts go nowhere until `set_receipt_url`.
pub async fn start_fake() -> FakeSmsServer {
    sms_fake::start(
        FakeConfig {
            secret_id: SECRET_ID.into(),
            secret_key: SECRET_KEY.into(),
            sdk_app_id: SDK_APP_ID.into(),
            receipt_url: None,
        },
        "127.0.0.1:0",
    )
    .await
    .expect("fake SMS provider starts")
}
