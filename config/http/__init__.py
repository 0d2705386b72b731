"""HTTP plumbing every app shares: problem documents, ETags and If-Match,
strict input, pagination, the OpenAPI schema rules and the HTML pages' helpers."""
