"""Files and S3 objects as rows: where they are (locations), how rows come out of them (readers) and
go into them (writers). Shared by the file operators and the file catalog; heavy imports (pyarrow,
boto3 through the amazon provider) happen inside functions only.
"""
