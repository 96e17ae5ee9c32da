"""S3 with boto3: buckets and their configurations, objects (metadata, ranges, conditions,
checksums, aws-chunked uploads), listings, multipart uploads through s3transfer, presigned
URLs, virtual-host addressing and restart survival. AWS's error codes and statuses are the
expected values."""

import datetime
import hashlib
import os
import socket
import uuid

import boto3
import botocore.config
import pytest
import requests
from boto3.s3.transfer import TransferConfig
from botocore.exceptions import ClientError

from e2e_util import ACCESS_KEY, REGION, SECRET_KEY

MIB = 1024 * 1024


def s3_client(endpoint, style="path", region=REGION, signature_version=None, **kw):
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name=region,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        config=botocore.config.Config(
            retries={"total_max_attempts": 1, "mode": "standard"},
            s3={"addressing_style": style},
            signature_version=signature_version,
        ),
        **kw,
    )


@pytest.fixture(scope="module")
def s3(endpoint):
    return s3_client(endpoint)


@pytest.fixture
def bucket(s3):
    name = "e2e-" + uuid.uuid4().hex[:16]
    s3.create_bucket(Bucket=name)
    return name


def expect_s3_error(fn, code, status):
    """fn() must fail with an S3 error document of this code and status, carrying request ids."""
    with pytest.raises(ClientError) as info:
        fn()
    resp = info.value.response
    assert resp["Error"]["Code"] == code, resp["Error"]
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == status, resp["ResponseMetadata"]
    assert resp["ResponseMetadata"]["HTTPHeaders"].get("x-amz-request-id"), resp["ResponseMetadata"]
    return resp


# --- buckets --------------------------------------------------------------------------


def test_bucket_lifecycle(s3):
    name = "e2e-" + uuid.uuid4().hex[:16]
    created = s3.create_bucket(Bucket=name)
    assert created["Location"] == f"/{name}"
    # AWS's legacy us-east-1 behaviour: creating your own bucket again succeeds.
    s3.create_bucket(Bucket=name)
    head = s3.head_bucket(Bucket=name)
    assert head["ResponseMetadata"]["HTTPHeaders"]["x-amz-bucket-region"] == "us-east-1"
    assert name in [b["Name"] for b in s3.list_buckets()["Buckets"]]
    assert s3.get_bucket_location(Bucket=name)["LocationConstraint"] is None
    assert s3.delete_bucket(Bucket=name)["ResponseMetadata"]["HTTPStatusCode"] == 204
    with pytest.raises(ClientError) as info:
        s3.head_bucket(Bucket=name)
    assert info.value.response["Error"]["Code"] == "404"
    expect_s3_error(lambda: s3.delete_bucket(Bucket=name), "NoSuchBucket", 404)


def test_bucket_in_another_region_and_conflicts(endpoint):
    west = s3_client(endpoint, region="eu-west-1")
    name = "e2e-west-" + uuid.uuid4().hex[:12]
    west.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    assert west.get_bucket_location(Bucket=name)["LocationConstraint"] == "eu-west-1"
    expect_s3_error(
        lambda: west.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}),
        "BucketAlreadyOwnedByYou",
        409,
    )
    expect_s3_error(lambda: west.create_bucket(Bucket="e2e-" + uuid.uuid4().hex[:12]), "IllegalLocationConstraintException", 400)
    west.delete_bucket(Bucket=name)


def test_invalid_bucket_names_and_non_empty_buckets(s3, bucket):
    for bad in ["ab", "Upper-Case", "under_score", "192.168.1.1"]:
        expect_s3_error(lambda: s3.create_bucket(Bucket=bad), "InvalidBucketName", 400)
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    resp = expect_s3_error(lambda: s3.delete_bucket(Bucket=bucket), "BucketNotEmpty", 409)
    assert resp["Error"]["BucketName"] == bucket
    s3.delete_object(Bucket=bucket, Key="k")
    s3.delete_bucket(Bucket=bucket)


def test_bucket_configurations_as_terraform_reads_them(s3, bucket):
    expect_s3_error(lambda: s3.get_bucket_policy(Bucket=bucket), "NoSuchBucketPolicy", 404)
    expect_s3_error(lambda: s3.put_bucket_policy(Bucket=bucket, Policy="not json"), "MalformedPolicy", 400)
    policy = (
        '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},'
        f'"Action":"s3:GetObject","Resource":"arn:aws:s3:::{bucket}/*"}}]}}'
    )
    s3.put_bucket_policy(Bucket=bucket, Policy=policy)
    assert s3.get_bucket_policy(Bucket=bucket)["Policy"] == policy
    s3.delete_bucket_policy(Bucket=bucket)
    expect_s3_error(lambda: s3.get_bucket_policy(Bucket=bucket), "NoSuchBucketPolicy", 404)

    acl = s3.get_bucket_acl(Bucket=bucket)
    owner_id = acl["Owner"]["ID"]
    assert len(owner_id) == 64 and all(c in "0123456789abcdef" for c in owner_id)
    assert acl["Grants"] == [
        {"Grantee": {"ID": owner_id, "DisplayName": "kinesd", "Type": "CanonicalUser"}, "Permission": "FULL_CONTROL"}
    ]
    s3.put_bucket_acl(Bucket=bucket, ACL="private")
    expect_s3_error(lambda: s3.put_bucket_acl(Bucket=bucket, ACL="public-read"), "AccessControlListNotSupported", 400)

    expect_s3_error(lambda: s3.get_bucket_cors(Bucket=bucket), "NoSuchCORSConfiguration", 404)
    cors = {"CORSRules": [{"AllowedMethods": ["GET"], "AllowedOrigins": ["*"], "MaxAgeSeconds": 300}]}
    s3.put_bucket_cors(Bucket=bucket, CORSConfiguration=cors)
    assert s3.get_bucket_cors(Bucket=bucket)["CORSRules"] == cors["CORSRules"]
    s3.delete_bucket_cors(Bucket=bucket)
    expect_s3_error(lambda: s3.get_bucket_cors(Bucket=bucket), "NoSuchCORSConfiguration", 404)

    expect_s3_error(lambda: s3.get_bucket_website(Bucket=bucket), "NoSuchWebsiteConfiguration", 404)
    s3.put_bucket_website(Bucket=bucket, WebsiteConfiguration={"IndexDocument": {"Suffix": "index.html"}})
    assert s3.get_bucket_website(Bucket=bucket)["IndexDocument"] == {"Suffix": "index.html"}
    s3.delete_bucket_website(Bucket=bucket)

    assert "Status" not in s3.get_bucket_versioning(Bucket=bucket)
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"

    assert "Status" not in s3.get_bucket_accelerate_configuration(Bucket=bucket)
    assert s3.get_bucket_request_payment(Bucket=bucket)["Payer"] == "BucketOwner"
    assert "LoggingEnabled" not in s3.get_bucket_logging(Bucket=bucket)

    expect_s3_error(lambda: s3.get_bucket_lifecycle_configuration(Bucket=bucket), "NoSuchLifecycleConfiguration", 404)
    rules = [{"ID": "expire", "Status": "Enabled", "Filter": {"Prefix": "logs/"}, "Expiration": {"Days": 7}}]
    s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": rules})
    assert s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"] == rules
    s3.delete_bucket_lifecycle(Bucket=bucket)
    expect_s3_error(lambda: s3.get_bucket_lifecycle_configuration(Bucket=bucket), "NoSuchLifecycleConfiguration", 404)

    expect_s3_error(lambda: s3.get_bucket_replication(Bucket=bucket), "ReplicationConfigurationNotFoundError", 404)
    expect_s3_error(lambda: s3.get_object_lock_configuration(Bucket=bucket), "ObjectLockConfigurationNotFoundError", 404)

    encryption = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]
    assert encryption["Rules"] == [
        {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}, "BucketKeyEnabled": False}
    ]
    kms = {"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": "alias/x"}, "BucketKeyEnabled": True}]}
    s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration=kms)
    assert s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"] == kms
    s3.delete_bucket_encryption(Bucket=bucket)
    # Deleting the configuration reverts the bucket to the SSE-S3 default.
    assert s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"] == encryption["Rules"]

    expect_s3_error(lambda: s3.get_bucket_tagging(Bucket=bucket), "NoSuchTagSet", 404)
    s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": [{"Key": "env", "Value": "dev"}]})
    assert s3.get_bucket_tagging(Bucket=bucket)["TagSet"] == [{"Key": "env", "Value": "dev"}]
    s3.delete_bucket_tagging(Bucket=bucket)
    expect_s3_error(lambda: s3.get_bucket_tagging(Bucket=bucket), "NoSuchTagSet", 404)

    ownership = s3.get_bucket_ownership_controls(Bucket=bucket)["OwnershipControls"]
    assert ownership == {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    s3.put_bucket_ownership_controls(Bucket=bucket, OwnershipControls={"Rules": [{"ObjectOwnership": "ObjectWriter"}]})
    assert s3.get_bucket_ownership_controls(Bucket=bucket)["OwnershipControls"]["Rules"][0]["ObjectOwnership"] == "ObjectWriter"
    s3.put_bucket_acl(Bucket=bucket, ACL="public-read")
    grants = s3.get_bucket_acl(Bucket=bucket)["Grants"]
    assert {"Grantee": {"Type": "Group", "URI": "http://acs.amazonaws.com/groups/global/AllUsers"}, "Permission": "READ"} in grants

    block = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    assert block == {"BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True}
    s3.put_public_access_block(
        Bucket=bucket,
        PublicAccessBlockConfiguration={"BlockPublicAcls": False, "IgnorePublicAcls": False, "BlockPublicPolicy": False, "RestrictPublicBuckets": False},
    )
    assert s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]["BlockPublicAcls"] is False
    s3.delete_public_access_block(Bucket=bucket)
    expect_s3_error(lambda: s3.get_public_access_block(Bucket=bucket), "NoSuchPublicAccessBlockConfiguration", 404)


# --- objects --------------------------------------------------------------------------


def test_object_round_trip_with_metadata_ranges_and_conditions(s3, bucket):
    body = b"0123456789" * 10
    put = s3.put_object(
        Bucket=bucket, Key="dir/a b+c.txt", Body=body, ContentType="text/plain", Metadata={"color": "blue"}, CacheControl="no-cache"
    )
    etag = '"' + hashlib.md5(body).hexdigest() + '"'
    assert put["ETag"] == etag
    got = s3.get_object(Bucket=bucket, Key="dir/a b+c.txt")
    assert got["Body"].read() == body
    assert (got["ContentType"], got["ContentLength"], got["ETag"]) == ("text/plain", 100, etag)
    assert got["Metadata"] == {"color": "blue"}
    assert got["CacheControl"] == "no-cache"
    assert got["AcceptRanges"] == "bytes"
    head = s3.head_object(Bucket=bucket, Key="dir/a b+c.txt")
    assert (head["ContentLength"], head["ETag"], head["LastModified"]) == (100, etag, got["LastModified"])

    ranged = s3.get_object(Bucket=bucket, Key="dir/a b+c.txt", Range="bytes=10-19")
    assert ranged["ResponseMetadata"]["HTTPStatusCode"] == 206
    assert (ranged["Body"].read(), ranged["ContentRange"]) == (body[10:20], "bytes 10-19/100")
    expect_s3_error(lambda: s3.get_object(Bucket=bucket, Key="dir/a b+c.txt", Range="bytes=100-"), "InvalidRange", 416)

    expect_s3_error(lambda: s3.get_object(Bucket=bucket, Key="dir/a b+c.txt", IfMatch='"nope"'), "PreconditionFailed", 412)
    with pytest.raises(ClientError) as info:
        s3.get_object(Bucket=bucket, Key="dir/a b+c.txt", IfNoneMatch=etag)
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 304
    with pytest.raises(ClientError) as info:
        s3.get_object(Bucket=bucket, Key="dir/a b+c.txt", IfModifiedSince=got["LastModified"])
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 304

    resp = expect_s3_error(lambda: s3.get_object(Bucket=bucket, Key="missing"), "NoSuchKey", 404)
    assert resp["Error"]["Key"] == "missing"
    expect_s3_error(lambda: s3.get_object(Bucket="e2e-no-such-bucket", Key="k"), "NoSuchBucket", 404)
    with pytest.raises(ClientError) as info:
        s3.head_object(Bucket=bucket, Key="missing")
    assert info.value.response["Error"]["Code"] == "404"
    assert s3.delete_object(Bucket=bucket, Key="missing")["ResponseMetadata"]["HTTPStatusCode"] == 204
    s3.delete_object(Bucket=bucket, Key="dir/a b+c.txt")
    expect_s3_error(lambda: s3.get_object(Bucket=bucket, Key="dir/a b+c.txt"), "NoSuchKey", 404)


def test_checksums_content_md5_and_long_keys(s3, bucket):
    # botocore >= 1.36 sends a CRC32 with every upload; S3 answers it back when asked.
    s3.put_object(Bucket=bucket, Key="crc", Body=b"hello world", ChecksumAlgorithm="CRC32")
    got = s3.get_object(Bucket=bucket, Key="crc", ChecksumMode="ENABLED")
    assert got["ChecksumCRC32"] == "DUoRhQ=="
    assert got["Body"].read() == b"hello world"
    s3.put_object(Bucket=bucket, Key="sha", Body=b"abc", ChecksumAlgorithm="SHA256")
    assert s3.head_object(Bucket=bucket, Key="sha", ChecksumMode="ENABLED")["ChecksumSHA256"] == "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0="
    expect_s3_error(lambda: s3.put_object(Bucket=bucket, Key="md5", Body=b"abc", ContentMD5="1B2M2Y8AsgTpgAmY7PhCfg=="), "BadDigest", 400)
    expect_s3_error(lambda: s3.put_object(Bucket=bucket, Key="k" * 1025, Body=b"x"), "KeyTooLongError", 400)
    s3.put_object(Bucket=bucket, Key="k" * 1024, Body=b"x")
    assert s3.get_object(Bucket=bucket, Key="k" * 1024)["Body"].read() == b"x"


def test_aws_chunked_upload_with_trailing_checksum_over_tls(start_kinesd):
    # Over HTTPS botocore streams uploads as aws-chunked with the CRC32 in a trailer.
    server = start_kinesd(extra_args=["--tls-self-signed"])
    https = server.endpoint.replace("http://127.0.0.1", "https://localhost")
    client = s3_client(https, verify=str(server.data_dir / "tls" / "cert.pem"))
    client.create_bucket(Bucket="chunked")
    body = os.urandom(300_000)
    put = client.put_object(Bucket="chunked", Key="blob", Body=body)
    assert put["ETag"] == '"' + hashlib.md5(body).hexdigest() + '"'
    assert "ChecksumCRC32" in put
    got = client.get_object(Bucket="chunked", Key="blob", ChecksumMode="ENABLED")
    assert got["Body"].read() == body
    assert got["ChecksumCRC32"] == put["ChecksumCRC32"]
    assert "ContentEncoding" not in got


def signed_chunk_upload(endpoint, bucket, key, chunks, secret=SECRET_KEY, tamper=False, trailer=None):
    """PUT `chunks` as a STREAMING-AWS4-HMAC-SHA256-PAYLOAD body (as the Java SDK sends over
    HTTP): the seed signature signs the headers, each chunk signature chains from the previous
    one (S3 "Transferring Payload in Multiple Chunks"); optionally with a signed trailer."""
    import hmac
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    frames = [*chunks, b""]
    length = sum(len(f"{len(c):x};chunk-signature=") + 64 + 2 + len(c) + 2 for c in frames)
    trailer_lines = b""
    if trailer:
        trailer_lines = "".join(f"{k}:{v}\n" for k, v in trailer).encode()
        length += len(trailer_lines.replace(b"\n", b"\r\n")) + len("x-amz-trailer-signature:") + 64 + 4
    headers = {
        "X-Amz-Content-SHA256": "STREAMING-AWS4-HMAC-SHA256-PAYLOAD" + ("-TRAILER" if trailer else ""),
        "Content-Encoding": "aws-chunked",
        "x-amz-decoded-content-length": str(sum(map(len, chunks))),
        "Content-Length": str(length),
        "X-Amz-Date": stamp,
    }
    if trailer:
        headers["x-amz-trailer"] = ",".join(k for k, _ in trailer)
    url = f"{endpoint}/{bucket}/{key}"
    req = AWSRequest(method="PUT", url=url, headers=headers)
    SigV4Auth(Credentials(ACCESS_KEY, SECRET_KEY), "s3", REGION).add_auth(req)
    previous = req.headers["Authorization"].rsplit("Signature=", 1)[1]

    def mac(k, m):
        return hmac.new(k, m.encode() if isinstance(m, str) else m, hashlib.sha256).digest()

    date = stamp[:8]
    signing_key = mac(mac(mac(mac(("AWS4" + secret).encode(), date), REGION), "s3"), "aws4_request")
    scope = f"{date}/{REGION}/s3/aws4_request"
    empty = hashlib.sha256(b"").hexdigest()
    body = b""
    for chunk in frames:
        to_sign = f"AWS4-HMAC-SHA256-PAYLOAD\n{stamp}\n{scope}\n{previous}\n{empty}\n{hashlib.sha256(chunk).hexdigest()}"
        previous = hmac.new(signing_key, to_sign.encode(), hashlib.sha256).hexdigest()
        body += f"{len(chunk):x};chunk-signature={previous}\r\n".encode() + chunk + b"\r\n"
    if trailer:
        to_sign = f"AWS4-HMAC-SHA256-TRAILER\n{stamp}\n{scope}\n{previous}\n{hashlib.sha256(trailer_lines).hexdigest()}"
        signature = hmac.new(signing_key, to_sign.encode(), hashlib.sha256).hexdigest()
        body += trailer_lines.replace(b"\n", b"\r\n") + f"x-amz-trailer-signature:{signature}\r\n\r\n".encode()
    assert len(body) == length
    if tamper:
        body = body[:200] + bytes([body[200] ^ 1]) + body[201:]
    return requests.put(url, data=body, headers=dict(req.headers.items()), timeout=30)


def test_chunk_signed_uploads_are_verified_chunk_by_chunk(s3, bucket):
    chunks = [b"a" * 65536, b"b" * 1000]
    resp = signed_chunk_upload(s3.meta.endpoint_url, bucket, "signed", chunks)
    assert resp.status_code == 200, resp.text
    assert s3.get_object(Bucket=bucket, Key="signed")["Body"].read() == b"".join(chunks)
    # A flipped byte in a chunk breaks its signature: refused, nothing stored.
    resp = signed_chunk_upload(s3.meta.endpoint_url, bucket, "tampered", chunks, tamper=True)
    assert resp.status_code == 403 and "<Code>SignatureDoesNotMatch</Code>" in resp.text, resp.text
    expect_s3_error(lambda: s3.head_object(Bucket=bucket, Key="tampered"), "404", 404)
    # Chunks signed under another secret fail even though the seed (headers) signature is ours.
    resp = signed_chunk_upload(s3.meta.endpoint_url, bucket, "wrong-key", chunks, secret="not-the-secret")
    assert resp.status_code == 403, resp.text
    # With a signed trailer carrying the CRC32 of the object.
    import base64
    import zlib
    crc = base64.b64encode(zlib.crc32(b"".join(chunks)).to_bytes(4, "big")).decode()
    resp = signed_chunk_upload(s3.meta.endpoint_url, bucket, "trailed", chunks,
                               trailer=[("x-amz-checksum-crc32", crc)])
    assert resp.status_code == 200, resp.text
    head = s3.head_object(Bucket=bucket, Key="trailed", ChecksumMode="ENABLED")
    assert head["ChecksumCRC32"] == crc


def test_copy_delete_objects_and_tagging(s3, bucket):
    s3.put_object(Bucket=bucket, Key="src", Body=b"payload", Metadata={"a": "1"}, Tagging="team=data")
    copied = s3.copy_object(Bucket=bucket, Key="dst", CopySource={"Bucket": bucket, "Key": "src"})
    assert copied["CopyObjectResult"]["ETag"] == '"' + hashlib.md5(b"payload").hexdigest() + '"'
    dst = s3.get_object(Bucket=bucket, Key="dst")
    assert (dst["Body"].read(), dst["Metadata"], dst["TagCount"]) == (b"payload", {"a": "1"}, 1)
    assert s3.get_object_tagging(Bucket=bucket, Key="dst")["TagSet"] == [{"Key": "team", "Value": "data"}]
    s3.put_object_tagging(Bucket=bucket, Key="dst", Tagging={"TagSet": [{"Key": "x", "Value": "y"}]})
    assert s3.get_object_tagging(Bucket=bucket, Key="dst")["TagSet"] == [{"Key": "x", "Value": "y"}]
    expect_s3_error(
        lambda: s3.copy_object(Bucket=bucket, Key="src", CopySource={"Bucket": bucket, "Key": "src"}), "InvalidRequest", 400
    )
    expect_s3_error(
        lambda: s3.copy_object(Bucket=bucket, Key="x", CopySource={"Bucket": bucket, "Key": "none"}), "NoSuchKey", 404
    )
    result = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "src"}, {"Key": "dst"}, {"Key": "never"}]})
    assert sorted(d["Key"] for d in result["Deleted"]) == ["dst", "never", "src"]
    quiet = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "a"}], "Quiet": True})
    assert "Deleted" not in quiet and "Errors" not in quiet
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0


# --- listings -------------------------------------------------------------------------


def test_list_objects_v2_with_delimiter_and_pagination(s3, bucket):
    keys = ["a/1", "a/2", "a/b/3", "b/1", "c", "d e+f", "sp\u00e9cial"]
    for key in keys:
        s3.put_object(Bucket=bucket, Key=key, Body=b"x")
    listed = s3.list_objects_v2(Bucket=bucket)
    assert [o["Key"] for o in listed["Contents"]] == sorted(keys, key=lambda k: k.encode())
    assert (listed["KeyCount"], listed["IsTruncated"]) == (7, False)
    rolled = s3.list_objects_v2(Bucket=bucket, Delimiter="/")
    assert [p["Prefix"] for p in rolled["CommonPrefixes"]] == ["a/", "b/"]
    assert [o["Key"] for o in rolled["Contents"]] == ["c", "d e+f", "sp\u00e9cial"]
    under = s3.list_objects_v2(Bucket=bucket, Prefix="a/", Delimiter="/")
    assert [o["Key"] for o in under["Contents"]] == ["a/1", "a/2"]
    assert [p["Prefix"] for p in under["CommonPrefixes"]] == ["a/b/"]
    pages = list(s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Delimiter="/", PaginationConfig={"PageSize": 2}))
    assert len(pages) == 3
    seen = [p["Prefix"] for page in pages for p in page.get("CommonPrefixes", [])] + [
        o["Key"] for page in pages for o in page.get("Contents", [])
    ]
    assert seen == ["a/", "b/", "c", "d e+f", "sp\u00e9cial"]
    after = s3.list_objects_v2(Bucket=bucket, StartAfter="b/1")
    assert [o["Key"] for o in after["Contents"]] == ["c", "d e+f", "sp\u00e9cial"]
    v1 = list(s3.get_paginator("list_objects").paginate(Bucket=bucket, PaginationConfig={"PageSize": 3}))
    assert [o["Key"] for page in v1 for o in page["Contents"]] == sorted(keys, key=lambda k: k.encode())
    assert v1[0]["Contents"][0]["Owner"]["ID"]
    expect_s3_error(lambda: s3.list_objects_v2(Bucket="e2e-no-such-bucket"), "NoSuchBucket", 404)


# --- multipart ------------------------------------------------------------------------


def test_upload_and_download_a_multipart_file(s3, bucket, tmp_path):
    src = tmp_path / "big.bin"
    data = os.urandom(12 * MIB + 12345)
    src.write_bytes(data)
    config = TransferConfig(multipart_threshold=5 * MIB, multipart_chunksize=5 * MIB, max_concurrency=3)
    s3.upload_file(str(src), bucket, "big.bin", Config=config)
    head = s3.head_object(Bucket=bucket, Key="big.bin")
    assert head["ContentLength"] == len(data)
    parts = [data[i : i + 5 * MIB] for i in range(0, len(data), 5 * MIB)]
    md5s = b"".join(hashlib.md5(p).digest() for p in parts)
    assert head["ETag"] == f'"{hashlib.md5(md5s).hexdigest()}-3"'
    dst = tmp_path / "back.bin"
    s3.download_file(bucket, "big.bin", str(dst), Config=config)
    assert dst.read_bytes() == data
    assert s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []


def test_multipart_api_errors_and_listings(s3, bucket):
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="mp")["UploadId"]
    e1 = s3.upload_part(Bucket=bucket, Key="mp", UploadId=upload_id, PartNumber=1, Body=b"a" * (5 * MIB))["ETag"]
    e2 = s3.upload_part(Bucket=bucket, Key="mp", UploadId=upload_id, PartNumber=2, Body=b"small")["ETag"]
    e3 = s3.upload_part(Bucket=bucket, Key="mp", UploadId=upload_id, PartNumber=3, Body=b"tail")["ETag"]
    assert e2 == '"' + hashlib.md5(b"small").hexdigest() + '"'
    listed = s3.list_parts(Bucket=bucket, Key="mp", UploadId=upload_id)
    assert [(p["PartNumber"], p["Size"]) for p in listed["Parts"]] == [(1, 5 * MIB), (2, 5), (3, 4)]
    uploads = s3.list_multipart_uploads(Bucket=bucket)["Uploads"]
    assert [(u["Key"], u["UploadId"]) for u in uploads] == [("mp", upload_id)]

    def complete(parts):
        return s3.complete_multipart_upload(
            Bucket=bucket, Key="mp", UploadId=upload_id, MultipartUpload={"Parts": [{"PartNumber": n, "ETag": e} for n, e in parts]}
        )

    expect_s3_error(lambda: complete([(2, e2), (1, e1)]), "InvalidPartOrder", 400)
    expect_s3_error(lambda: complete([(1, e1), (4, e3)]), "InvalidPart", 400)
    resp = expect_s3_error(lambda: complete([(1, e1), (2, e2), (3, e3)]), "EntityTooSmall", 400)
    assert resp["Error"]["MinSizeAllowed"] == str(5 * MIB)
    done = complete([(1, e1), (3, e3)])
    assert done["ETag"].endswith('-2"')
    assert s3.get_object(Bucket=bucket, Key="mp")["Body"].read() == b"a" * (5 * MIB) + b"tail"
    expect_s3_error(lambda: s3.list_parts(Bucket=bucket, Key="mp", UploadId=upload_id), "NoSuchUpload", 404)
    aborted = s3.create_multipart_upload(Bucket=bucket, Key="gone")["UploadId"]
    s3.abort_multipart_upload(Bucket=bucket, Key="gone", UploadId=aborted)
    expect_s3_error(lambda: s3.abort_multipart_upload(Bucket=bucket, Key="gone", UploadId=aborted), "NoSuchUpload", 404)


# --- addressing, presigning, restart --------------------------------------------------


def test_presigned_get_urls(s3, bucket, endpoint):
    s3.put_object(Bucket=bucket, Key="shared/file.txt", Body=b"presigned body")
    # boto3's default presigning is the legacy SigV2 query form (AWSAccessKeyId, Expires, Signature).
    url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "shared/file.txt"}, ExpiresIn=300)
    assert "Signature=" in url and "AWSAccessKeyId=" in url
    resp = requests.get(url, timeout=10)
    assert resp.status_code == 200, resp.text
    assert resp.content == b"presigned body"
    assert resp.headers["x-amz-request-id"]
    tampered = requests.get(url.replace("shared/file.txt", "shared/other.txt"), timeout=10)
    assert tampered.status_code == 403
    assert "<Code>SignatureDoesNotMatch</Code>" in tampered.text
    expired = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "shared/file.txt"}, ExpiresIn=-10)
    resp = requests.get(expired, timeout=10)
    assert resp.status_code == 403 and "<Code>AccessDenied</Code>" in resp.text, resp.text
    # SigV4 query signing, with response header overrides.
    signer = s3_client(endpoint, signature_version="s3v4")
    url = signer.generate_presigned_url(
        "get_object",
        Params={"Bucket": bucket, "Key": "shared/file.txt", "ResponseContentType": "text/x-test"},
        ExpiresIn=300,
    )
    assert "X-Amz-Signature=" in url
    resp = requests.get(url, timeout=10)
    assert resp.status_code == 200, resp.text
    assert (resp.content, resp.headers["Content-Type"]) == (b"presigned body", "text/x-test")


def test_virtual_host_style_addressing(endpoint, monkeypatch):
    """Host `bucket.localhost:PORT`: *.localhost is loopback (RFC 6761), resolved here even
    where the system resolver does not know it."""
    real_getaddrinfo = socket.getaddrinfo

    def getaddrinfo(host, *args, **kw):
        if isinstance(host, str) and host.endswith(".localhost"):
            host = "127.0.0.1"
        return real_getaddrinfo(host, *args, **kw)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    port = endpoint.rsplit(":", 1)[1]
    client = s3_client(f"http://localhost:{port}", style="virtual")
    name = "e2e-vhost-" + uuid.uuid4().hex[:10]
    client.create_bucket(Bucket=name)
    put = client.put_object(Bucket=name, Key="dir/key.txt", Body=b"virtual")
    assert put["ResponseMetadata"]["HTTPHeaders"]["x-amz-request-id"]
    assert client.get_object(Bucket=name, Key="dir/key.txt")["Body"].read() == b"virtual"
    assert [o["Key"] for o in client.list_objects_v2(Bucket=name)["Contents"]] == ["dir/key.txt"]
    # The same bucket seen path-style.
    assert s3_client(endpoint).get_object(Bucket=name, Key="dir/key.txt")["Body"].read() == b"virtual"
    client.delete_object(Bucket=name, Key="dir/key.txt")
    client.delete_bucket(Bucket=name)


def test_objects_survive_a_restart(start_kinesd, tmp_path):
    data_dir = tmp_path / "s3-restart"
    server = start_kinesd(data_dir=data_dir)
    client = s3_client(server.endpoint)
    client.create_bucket(Bucket="kept")
    client.put_object(Bucket="kept", Key="a/b", Body=b"durable", ContentType="text/plain")
    client.put_bucket_tagging(Bucket="kept", Tagging={"TagSet": [{"Key": "k", "Value": "v"}]})
    server.stop()
    again = start_kinesd(data_dir=data_dir)
    client = s3_client(again.endpoint)
    got = client.get_object(Bucket="kept", Key="a/b")
    assert (got["Body"].read(), got["ContentType"]) == (b"durable", "text/plain")
    assert client.get_bucket_tagging(Bucket="kept")["TagSet"] == [{"Key": "k", "Value": "v"}]
