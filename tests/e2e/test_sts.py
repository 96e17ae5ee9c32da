"""STS over awsQuery with boto3 and the AWS CLI: GetCallerIdentity (the
Terraform provider's credential check) for root, IAM users and role sessions;
AssumeRole (credentials, validation, AccessDenied, role chaining, session
policies) and GetSessionToken; temporary credentials needing their token."""
import datetime
import json
import os
import subprocess
import uuid

import boto3
import botocore.config
import pytest
from botocore.exceptions import ClientError

from e2e_util import ACCESS_KEY, ACCOUNT, REGION, SECRET_KEY, make_client


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
    # awsQuery services word signature errors without the Exception suffix, with 403.
    assert err["Code"] == "SignatureDoesNotMatch"
    assert err["Type"] == "Sender"
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


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


# --- AssumeRole, GetSessionToken and who the credentials are -------------------------------------

TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "sts:AssumeRole"}]})


def client(endpoint, service, access_key=ACCESS_KEY, secret=SECRET_KEY, token=None, validate=True):
    return boto3.client(service, endpoint_url=endpoint, region_name=REGION, aws_access_key_id=access_key,
                        aws_secret_access_key=secret, aws_session_token=token,
                        config=botocore.config.Config(retries={"total_max_attempts": 1, "mode": "standard"},
                                                      parameter_validation=validate))


@pytest.fixture
def role(endpoint):
    name = "sts-" + uuid.uuid4().hex[:12]
    return client(endpoint, "iam").create_role(RoleName=name, AssumeRolePolicyDocument=TRUST,
                                               MaxSessionDuration=7200)["Role"]


def expect_sts_error(fn, code, status, message=None, contains=None):
    with pytest.raises(ClientError) as info:
        fn()
    resp = info.value.response
    assert resp["Error"]["Code"] == code, resp["Error"]
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == status
    assert resp["ResponseMetadata"]["HTTPHeaders"]["content-type"] == "text/xml"
    if message is not None:
        assert resp["Error"]["Message"] == message
    if contains is not None:
        assert contains in resp["Error"]["Message"], resp["Error"]["Message"]


def seconds_left(expiration):
    return (expiration - datetime.datetime.now(datetime.timezone.utc)).total_seconds()


def test_assume_role_returns_credentials_for_the_role_session(endpoint, role):
    out = sts(endpoint).assume_role(RoleArn=role["Arn"], RoleSessionName="deploy@ci", DurationSeconds=900)
    creds = out["Credentials"]
    assert creds["AccessKeyId"].startswith("ASIA") and len(creds["AccessKeyId"]) == 20
    assert len(creds["SecretAccessKey"]) == 40 and len(creds["SessionToken"]) > 100
    assert 850 < seconds_left(creds["Expiration"]) <= 900
    assert out["AssumedRoleUser"] == {
        "AssumedRoleId": f"{role['RoleId']}:deploy@ci",
        "Arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/{role['RoleName']}/deploy@ci",
    }
    assert "PackedPolicySize" not in out
    default = sts(endpoint).assume_role(RoleArn=role["Arn"], RoleSessionName="default")["Credentials"]
    assert 3500 < seconds_left(default["Expiration"]) <= 3600
    longest = sts(endpoint).assume_role(RoleArn=role["Arn"], RoleSessionName="long", DurationSeconds=7200)
    assert 7100 < seconds_left(longest["Credentials"]["Expiration"]) <= 7200


def test_get_caller_identity_for_role_sessions_and_users(endpoint, role):
    creds = sts(endpoint).assume_role(RoleArn=role["Arn"], RoleSessionName="who")["Credentials"]
    me = client(endpoint, "sts", creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"])
    out = me.get_caller_identity()
    assert (out["UserId"], out["Account"]) == (f"{role['RoleId']}:who", ACCOUNT)
    assert out["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/{role['RoleName']}/who"
    iam = client(endpoint, "iam")
    user_name = "sts-user-" + uuid.uuid4().hex[:8]
    user = iam.create_user(UserName=user_name, Path="/ops/")["User"]
    key = iam.create_access_key(UserName=user_name)["AccessKey"]
    out = client(endpoint, "sts", key["AccessKeyId"], key["SecretAccessKey"]).get_caller_identity()
    assert (out["UserId"], out["Arn"], out["Account"]) == (
        user["UserId"], f"arn:aws:iam::{ACCOUNT}:user/ops/{user_name}", ACCOUNT)


def test_assume_role_of_a_missing_role_is_access_denied(endpoint):
    arn = f"arn:aws:iam::{ACCOUNT}:role/no-such-role"
    expect_sts_error(lambda: sts(endpoint).assume_role(RoleArn=arn, RoleSessionName="s1"), "AccessDenied", 403,
                     message=f"User: arn:aws:iam::{ACCOUNT}:root is not authorized to perform: sts:AssumeRole "
                             f"on resource: {arn}")


def test_assume_role_needs_the_exact_role_arn(endpoint, role):
    wrong_path = role["Arn"].replace(":role/", ":role/other/")
    expect_sts_error(lambda: sts(endpoint).assume_role(RoleArn=wrong_path, RoleSessionName="s1"), "AccessDenied", 403)
    wrong_account = role["Arn"].replace(ACCOUNT, "999999999999")
    expect_sts_error(lambda: sts(endpoint).assume_role(RoleArn=wrong_account, RoleSessionName="s1"),
                     "AccessDenied", 403)


def test_assume_role_validates_session_name_and_duration(endpoint, role):
    raw = client(endpoint, "sts", validate=False)
    for bad in ("x", "a" * 65, "has space", "semi;colon"):
        expect_sts_error(lambda: raw.assume_role(RoleArn=role["Arn"], RoleSessionName=bad), "ValidationError", 400,
                         contains="roleSessionName")
    expect_sts_error(lambda: raw.assume_role(RoleArn=role["Arn"], RoleSessionName="s1", DurationSeconds=899),
                     "ValidationError", 400, contains="Member must have value greater than or equal to 900")
    expect_sts_error(lambda: raw.assume_role(RoleArn=role["Arn"], RoleSessionName="s1", DurationSeconds=7201),
                     "ValidationError", 400,
                     message="The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
    expect_sts_error(lambda: raw.assume_role(RoleSessionName="s1"), "ValidationError", 400, contains="roleArn")


def test_role_chaining_is_limited_to_one_hour(endpoint, role):
    creds = sts(endpoint).assume_role(RoleArn=role["Arn"], RoleSessionName="first")["Credentials"]
    chained = client(endpoint, "sts", creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"])
    expect_sts_error(lambda: chained.assume_role(RoleArn=role["Arn"], RoleSessionName="second", DurationSeconds=3601),
                     "ValidationError", 400,
                     message="The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by "
                             "role chaining.")
    out = chained.assume_role(RoleArn=role["Arn"], RoleSessionName="second")
    assert out["AssumedRoleUser"]["Arn"].endswith(f"assumed-role/{role['RoleName']}/second")


def test_assume_role_with_a_session_policy(endpoint, role):
    policy = json.dumps({"Version": "2012-10-17",
                         "Statement": [{"Effect": "Allow", "Action": "kinesis:List*", "Resource": "*"}]})
    out = sts(endpoint).assume_role(RoleArn=role["Arn"], RoleSessionName="s1", Policy=policy)
    assert 0 < out["PackedPolicySize"] <= 100
    expect_sts_error(lambda: sts(endpoint).assume_role(RoleArn=role["Arn"], RoleSessionName="s1", Policy="{oops"),
                     "MalformedPolicyDocument", 400)


def test_assumed_role_credentials_need_their_session_token(endpoint, role):
    creds = sts(endpoint).assume_role(RoleArn=role["Arn"], RoleSessionName="s1")["Credentials"]
    good = client(endpoint, "kinesis", creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"])
    assert "StreamNames" in good.list_streams()
    for token in (None, "not-the-token"):
        bad = client(endpoint, "kinesis", creds["AccessKeyId"], creds["SecretAccessKey"], token)
        with pytest.raises(ClientError) as info:
            bad.list_streams()
        assert info.value.response["Error"]["Code"] == "UnrecognizedClientException"
    no_token = client(endpoint, "sts", creds["AccessKeyId"], creds["SecretAccessKey"])
    with pytest.raises(ClientError) as info:
        no_token.get_caller_identity()
    assert info.value.response["Error"]["Code"] == "InvalidClientTokenId"
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_get_session_token(endpoint):
    out = sts(endpoint).get_session_token(DurationSeconds=7200)["Credentials"]
    # The root user's session tokens last at most an hour.
    assert 3500 < seconds_left(out["Expiration"]) <= 3600
    temp = client(endpoint, "sts", out["AccessKeyId"], out["SecretAccessKey"], out["SessionToken"])
    assert temp.get_caller_identity()["Arn"] == f"arn:aws:iam::{ACCOUNT}:root"
    kinesis = make_client(endpoint, access_key=out["AccessKeyId"], secret_key=out["SecretAccessKey"])
    with pytest.raises(ClientError):
        kinesis.list_streams()  # no token
    expect_sts_error(lambda: temp.get_session_token(), "AccessDenied", 403,
                     message="Cannot call GetSessionToken with session credentials")


def test_the_aws_cli_assumes_a_role(endpoint, role):
    env = {**os.environ, "AWS_ACCESS_KEY_ID": ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
           "AWS_DEFAULT_REGION": REGION}
    out = subprocess.run(["aws", "--endpoint-url", endpoint, "sts", "assume-role", "--role-arn", role["Arn"],
                          "--role-session-name", "cli", "--output", "json"],
                         capture_output=True, text=True, env=env, timeout=60)
    assert out.returncode == 0, out.stderr
    body = json.loads(out.stdout)
    assert body["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/{role['RoleName']}/cli"
