"""The S3 fixtures (moto server, buckets, the `lake` connection) for the file tests."""

from tests.support.s3 import bucket, s3_endpoint

__all__ = ["bucket", "s3_endpoint"]
