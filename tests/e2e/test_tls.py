"""TLS with boto3: a self-signed certificate, trusted explicitly, on the same
port as cleartext."""
import boto3
import botocore.config

from e2e_util import ACCESS_KEY, REGION, SECRET_KEY


def test_boto3_over_tls_with_the_generated_certificate(start_kinesd):
    server = start_kinesd(extra_args=["--tls-self-signed"])
    https = server.endpoint.replace("http://127.0.0.1", "https://localhost")
    cert = server.data_dir / "tls" / "cert.pem"
    client = boto3.client(
        "kinesis",
        endpoint_url=https,
        region_name=REGION,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        verify=str(cert),
        config=botocore.config.Config(retries={"total_max_attempts": 1, "mode": "standard"}),
    )
    client.create_stream(StreamName="tls-stream", ShardCount=1)
    assert "tls-stream" in client.list_streams()["StreamNames"]
