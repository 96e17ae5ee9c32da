"""STS over awsQuery with boto3 and the AWS CLI: GetCallerIdentity (the
Terraform provider's credential check)."""
import os
import subprocess

import boto3
import botocore.config
import pytest
from botocore.exceptions import ClientError

from e2e_util import ACCESS_KEY, REGION, SECRET_KEY


def sts(endpoint, secret=SECRET_KEY):
    return boto3.client("sts", endpoint_url=endpoint, region_name=REGION, aws_access_key_id=ACCESS_KEY,
                        aws_secret_access_key=secret,
                        config=botocore.config.Config(retries={"total_max_attempts": 1, "mode": "standard"}))


def test_get_caller_identity_names_the_account_root(endpoint):
    out = sts(endpoint).get_caller_identity()
    assert out["Account"] == "123456789012"
    assert out["UserId"] == "123456789012"
    assert out["Arn"] == "arn:aws:iam::123456789012:root"
    assert out["ResponseMetadata"]["HTTPHeaders"]["content-type"] == "text/xml"


def test_a_wrong_secret_is_an_xml_signature_error(endpoint):
    with pytest.raises(ClientError) as info:
        sts(endpoint, secret="wrong").get_caller_identity()
    err = info.value.response["Error"]
    assert err["Code"] == "InvalidSignatureException"
    assert err["Type"] == "Sender"


def test_the_aws_cli_gets_the_caller_identity(endpoint):
    env = {**os.environ, "AWS_ACCESS_KEY_ID": ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
           "AWS_DEFAULT_REGION": REGION}
    out = subprocess.run(["aws", "--endpoint-url", endpoint, "sts", "get-caller-identity", "--output", "text",
                          "--query", "Account"], capture_output=True, text=True, env=env, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "123456789012"


def test_an_unknown_action_is_invalid_action_in_xml(endpoint):
    import requests
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    body = "Action=NoSuchAction&Version=2011-06-15"
    req = AWSRequest(method="POST", url=endpoint + "/", data=body,
                     headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
    SigV4Auth(Credentials(ACCESS_KEY, SECRET_KEY), "sts", REGION).add_auth(req)
    resp = requests.post(endpoint + "/", data=body, headers=dict(req.headers.items()), timeout=30)
    assert resp.status_code == 400
    assert resp.headers["Content-Type"] == "text/xml"
    assert "<Code>InvalidAction</Code>" in resp.text
    assert "Could not find operation NoSuchAction for version 2011-06-15" in resp.text
