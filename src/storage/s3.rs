//! The S3 object store (aws-sdk-s3), for AWS or any S3-compatible server. Listing pages on
//! `Contents` and continuation tokens, never on `KeyCount` (some servers omit it).

use super::{ObjectStore, check_key};
use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::primitives::ByteStream;
use futures_util::future::BoxFuture;
use std::time::Duration;

/// Connection facts of an S3 bucket.
#[derive(Clone, Debug)]
pub struct S3Config {
    /// Endpoint URL (`https://s3.cn-north-1.amazonaws.com.cn`, `http://127.0.0.1:9000`).
    pub endpoint: String,
    /// Region name.
    pub region: String,
    /// Bucket.
    pub bucket: String,
    /// Access key id.
    pub access_key_id: String,
    /// Secret access key.
    pub secret_access_key: String,
    /// Path-style addressing (self-hosted servers).
    pub path_style: bool,
}

/// Objects in an S3 bucket.
pub struct S3Store {
    client: aws_sdk_s3::Client,
    bucket: String,
}

impl S3Store {
    /// A client for `config` (no network call).
    pub fn new(config: &S3Config) -> Self {
        let credentials = Credentials::new(
            config.access_key_id.clone(),
            config.secret_access_key.clone(),
            None,
            None,
            "weapp-builder",
        );
        let conf = aws_sdk_s3::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .endpoint_url(&config.endpoint)
            .region(Region::new(config.region.clone()))
            .credentials_provider(credentials)
            .force_path_style(config.path_style)
            .build();
        Self {
            client: aws_sdk_s3::Client::from_conf(conf),
            bucket: config.bucket.clone(),
        }
    }

    /// Creates the bucket if it does not exist (tests and first runs).
    pub async fn ensure_bucket(&self) -> anyhow::Result<()> {
        if self
            .client
            .head_bucket()
            .bucket(&self.bucket)
            .send()
            .await
            .is_ok()
        {
            return Ok(());
        }
        match self
            .client
            .create_bucket()
            .bucket(&self.bucket)
            .send()
            .await
        {
            Ok(_) => Ok(()),
            // Another instance (or test) created it between our check and our request.
            Err(e)
                if e.as_service_error().is_some_and(|s| {
                    s.is_bucket_already_exists() || s.is_bucket_already_owned_by_you()
                }) =>
            {
                Ok(())
            }
            Err(e) => Err(anyhow::anyhow!(
                "creating bucket {}: {}",
                self.bucket,
                aws_sdk_s3::error::DisplayErrorContext(e)
            )),
        }
    }
}

fn sdk_error<E: std::error::Error + Send + Sync + 'static>(what: &str, e: E) -> anyhow::Error {
    anyhow::anyhow!("S3 {what}: {}", aws_sdk_s3::error::DisplayErrorContext(e))
}

impl ObjectStore for S3Store {
    fn backend(&self) -> &'static str {
        "s3"
    }

    fn put<'a>(
        &'a self,
        key: &'a str,
        bytes: Vec<u8>,
        content_type: &'a str,
    ) -> BoxFuture<'a, anyhow::Result<()>> {
        Box::pin(async move {
            check_key(key)?;
            self.client
                .put_object()
                .bucket(&self.bucket)
                .key(key)
                .content_type(content_type)
                .body(ByteStream::from(bytes))
                .send()
                .await
                .map_err(|e| sdk_error("put", e))?;
            Ok(())
        })
    }

    fn get<'a>(&'a self, key: &'a str) -> BoxFuture<'a, anyhow::Result<Option<Vec<u8>>>> {
        Box::pin(async move {
            check_key(key)?;
            match self
                .client
                .get_object()
                .bucket(&self.bucket)
                .key(key)
                .send()
                .await
            {
                Ok(out) => Ok(Some(out.body.collect().await?.into_bytes().to_vec())),
                Err(e) if e.as_service_error().is_some_and(|s| s.is_no_such_key()) => Ok(None),
                Err(e) => Err(sdk_error("get", e)),
            }
        })
    }

    fn delete<'a>(&'a self, key: &'a str) -> BoxFuture<'a, anyhow::Result<()>> {
        Box::pin(async move {
            check_key(key)?;
            self.client
                .delete_object()
                .bucket(&self.bucket)
                .key(key)
                .send()
                .await
                .map_err(|e| sdk_error("delete", e))?;
            Ok(())
        })
    }

    fn list<'a>(
        &'a self,
        prefix: &'a str,
        after: Option<&'a str>,
        limit: usize,
    ) -> BoxFuture<'a, anyhow::Result<Vec<String>>> {
        Box::pin(async move {
            let mut keys = Vec::new();
            let mut token: Option<String> = None;
            loop {
                let mut req = self
                    .client
                    .list_objects_v2()
                    .bucket(&self.bucket)
                    .prefix(prefix)
                    .max_keys(limit.clamp(1, 1000) as i32);
                if let Some(t) = &token {
                    req = req.continuation_token(t);
                } else if let Some(a) = after {
                    req = req.start_after(a);
                }
                let out = req.send().await.map_err(|e| sdk_error("list", e))?;
                for obj in out.contents() {
                    if let Some(k) = obj.key()
                        && after.is_none_or(|a| k > a)
                    {
                        keys.push(k.to_owned());
                    }
                }
                token = out.next_continuation_token().map(str::to_owned);
                if keys.len() >= limit || token.is_none() || out.contents().is_empty() {
                    break;
                }
            }
            keys.sort();
            keys.truncate(limit);
            Ok(keys)
        })
    }

    fn presigned_get<'a>(
        &'a self,
        key: &'a str,
        ttl: Duration,
    ) -> BoxFuture<'a, anyhow::Result<Option<String>>> {
        Box::pin(async move {
            check_key(key)?;
            let config = PresigningConfig::expires_in(ttl)?;
            let req = self
                .client
                .get_object()
                .bucket(&self.bucket)
                .key(key)
                .presigned(config)
                .await
                .map_err(|e| sdk_error("presign", e))?;
            Ok(Some(req.uri().to_string()))
        })
    }
}
