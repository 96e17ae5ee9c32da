"""IAM over awsQuery with boto3: roles, managed policies and their versions,
inline and attached policies, users, tags, access keys; AWS's error codes,
HTTP statuses and wording; policy documents returned URL-encoded; state
surviving a restart; and the credentials IAM and STS issue signing requests
to other services (an IAM user's access key, AssumeRole credentials with
their session token)."""
import json
import urllib.parse
import uuid

import boto3
import botocore.auth
import botocore.config
import pytest
import requests
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from e2e_util import ACCESS_KEY, ACCOUNT, REGION, SECRET_KEY, make_client

TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "firehose.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}
POLICY = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "kinesis:*", "Resource": "*"}]}
AWS_KINESIS_FULL = "arn:aws:iam::aws:policy/AmazonKinesisFullAccess"
XML_CT = "text/xml"


def client(endpoint, service="iam", access_key=ACCESS_KEY, secret_key=SECRET_KEY, token=None, validate=True):
    return boto3.client(
        service, endpoint_url=endpoint, region_name=REGION, aws_access_key_id=access_key,
        aws_secret_access_key=secret_key, aws_session_token=token,
        config=botocore.config.Config(retries={"total_max_attempts": 1, "mode": "standard"},
                                      parameter_validation=validate))


@pytest.fixture(scope="module")
def iam(endpoint):
    return client(endpoint)


@pytest.fixture(scope="module")
def raw_iam(endpoint):
    """Sends what it is given: the server's own validation answers."""
    return client(endpoint, validate=False)


@pytest.fixture
def name():
    """Unique names per test (the session-wide server is shared)."""
    prefix = "e2e-" + uuid.uuid4().hex[:10]
    return lambda suffix="": f"{prefix}{suffix}"


def expect(fn, code, status, message=None, contains=None):
    """fn() must fail with an awsQuery XML error of code and HTTP status."""
    with pytest.raises(ClientError) as info:
        fn()
    resp = info.value.response
    assert resp["Error"]["Code"] == code, resp["Error"]
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == status, resp
    assert resp["ResponseMetadata"]["HTTPHeaders"]["content-type"] == XML_CT
    assert resp["Error"]["Type"] == "Sender"
    if message is not None:
        assert resp["Error"]["Message"] == message
    if contains is not None:
        assert contains in resp["Error"]["Message"], resp["Error"]["Message"]
    return resp


def raw_query(endpoint, service, params, access_key=ACCESS_KEY, secret_key=SECRET_KEY, token=None):
    """A SigV4-signed awsQuery POST; the requests Response."""
    body = urllib.parse.urlencode(params)
    headers = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
    req = AWSRequest(method="POST", url=endpoint + "/", data=body, headers=headers)
    botocore.auth.SigV4Auth(Credentials(access_key, secret_key, token), service, REGION).add_auth(req)
    return requests.post(endpoint + "/", data=body, headers=dict(req.headers.items()), timeout=30)


def xml_value(text, element):
    start = text.index(f"<{element}>") + len(element) + 2
    return text[start:text.index(f"</{element}>", start)]


def aws_encoded(document):
    """How IAM returns a document: the JSON text percent-encoded (RFC 3986)."""
    return urllib.parse.quote(document, safe="-_.~")


def create_role(iam, role_name, **kw):
    return iam.create_role(RoleName=role_name, AssumeRolePolicyDocument=json.dumps(TRUST), **kw)["Role"]


# --- roles ---------------------------------------------------------------------------


def test_create_role_answers_ids_arn_defaults_and_tags(iam, name):
    role = create_role(iam, name("r"), Path="/svc/", Description="reads streams",
                       Tags=[{"Key": "team", "Value": "data"}])
    assert role["RoleName"] == name("r")
    assert role["Arn"] == f"arn:aws:iam::{ACCOUNT}:role/svc/{name('r')}"
    assert role["RoleId"].startswith("AROA") and len(role["RoleId"]) == 21
    assert role["RoleId"][4:].isalnum() and role["RoleId"][4:].upper() == role["RoleId"][4:]
    assert role["Path"] == "/svc/"
    assert role["MaxSessionDuration"] == 3600
    assert role["Description"] == "reads streams"
    assert role["Tags"] == [{"Key": "team", "Value": "data"}]
    assert role["AssumeRolePolicyDocument"] == TRUST
    got = iam.get_role(RoleName=name("r"))["Role"]
    assert got["RoleId"] == role["RoleId"] and got["CreateDate"] == role["CreateDate"]
    assert got["Tags"] == [{"Key": "team", "Value": "data"}]
    plain = create_role(iam, name("plain"))
    assert plain["Path"] == "/" and plain["Arn"] == f"arn:aws:iam::{ACCOUNT}:role/{name('plain')}"
    assert "Tags" not in plain and "Description" not in plain


def test_create_role_errors(iam, raw_iam, name):
    create_role(iam, name("r"))
    expect(lambda: create_role(iam, name("r").upper()), "EntityAlreadyExists", 409,
           message=f"Role with name {name('r').upper()} already exists.")
    expect(lambda: iam.create_role(RoleName=name("bad"), AssumeRolePolicyDocument="{not json"),
           "MalformedPolicyDocument", 400, message="Syntax errors in policy.")
    expect(lambda: iam.create_role(RoleName=name("bad"), AssumeRolePolicyDocument=json.dumps(POLICY)),
           "MalformedPolicyDocument", 400, message="Has prohibited field Resource")
    expect(lambda: raw_iam.create_role(RoleName=name("bad")), "ValidationError", 400,
           contains="'assumeRolePolicyDocument' failed to satisfy constraint: Member must not be null")
    expect(lambda: raw_iam.create_role(RoleName="has space", AssumeRolePolicyDocument=json.dumps(TRUST)),
           "ValidationError", 400, contains="Member must satisfy regular expression pattern")
    expect(lambda: raw_iam.create_role(RoleName=name("short"), AssumeRolePolicyDocument=json.dumps(TRUST),
                                       MaxSessionDuration=60), "ValidationError", 400,
           contains="Member must have value greater than or equal to 3600")
    expect(lambda: iam.get_role(RoleName=name("none")), "NoSuchEntity", 404,
           message=f"The role with name {name('none')} cannot be found.")


def test_list_roles_by_path_prefix_in_pages(iam, name):
    prefix = f"/{name()}/"
    for suffix in ("a", "b", "c"):
        create_role(iam, name(suffix), Path=prefix)
    create_role(iam, name("elsewhere"))
    first = iam.list_roles(PathPrefix=prefix, MaxItems=2)
    assert [r["RoleName"] for r in first["Roles"]] == [name("a"), name("b")]
    assert first["IsTruncated"] is True
    rest = iam.list_roles(PathPrefix=prefix, MaxItems=2, Marker=first["Marker"])
    assert [r["RoleName"] for r in rest["Roles"]] == [name("c")]
    assert rest["IsTruncated"] is False and "Marker" not in rest
    listed = rest["Roles"][0]
    assert listed["AssumeRolePolicyDocument"] == TRUST
    assert "Tags" not in listed
    everything = [r["RoleName"] for page in iam.get_paginator("list_roles").paginate() for r in page["Roles"]]
    assert {name("a"), name("b"), name("c"), name("elsewhere")} <= set(everything)


def test_update_role_and_its_trust_policy(iam, raw_iam, name):
    create_role(iam, name("r"))
    iam.update_role(RoleName=name("r"), Description="new", MaxSessionDuration=7200)
    role = iam.get_role(RoleName=name("r"))["Role"]
    assert (role["Description"], role["MaxSessionDuration"]) == ("new", 7200)
    expect(lambda: raw_iam.update_role(RoleName=name("r"), MaxSessionDuration=43201), "ValidationError", 400)
    out = iam.update_role_description(RoleName=name("r"), Description="other")
    assert out["Role"]["Description"] == "other"
    lambda_trust = json.loads(json.dumps(TRUST).replace("firehose", "lambda"))
    iam.update_assume_role_policy(RoleName=name("r"), PolicyDocument=json.dumps(lambda_trust))
    assert iam.get_role(RoleName=name("r"))["Role"]["AssumeRolePolicyDocument"] == lambda_trust
    expect(lambda: iam.update_assume_role_policy(RoleName=name("r"), PolicyDocument="[]"),
           "MalformedPolicyDocument", 400)
    expect(lambda: iam.update_role(RoleName=name("none"), Description="x"), "NoSuchEntity", 404)


def test_role_tags(iam, name):
    create_role(iam, name("r"), Tags=[{"Key": "a", "Value": "1"}])
    iam.tag_role(RoleName=name("r"), Tags=[{"Key": "A", "Value": "2"}, {"Key": "b", "Value": "3"}])
    assert iam.list_role_tags(RoleName=name("r"))["Tags"] == [{"Key": "A", "Value": "2"}, {"Key": "b", "Value": "3"}]
    iam.untag_role(RoleName=name("r"), TagKeys=["a", "missing"])
    out = iam.list_role_tags(RoleName=name("r"), MaxItems=1)
    assert out["Tags"] == [{"Key": "b", "Value": "3"}] and out["IsTruncated"] is False
    expect(lambda: iam.tag_role(RoleName=name("r"), Tags=[{"Key": "x", "Value": "1"}, {"Key": "X", "Value": "2"}]),
           "InvalidInput", 400)
    many = [{"Key": f"k{i}", "Value": "v"} for i in range(50)]
    expect(lambda: iam.tag_role(RoleName=name("r"), Tags=many), "LimitExceeded", 409)
    expect(lambda: iam.list_role_tags(RoleName=name("none")), "NoSuchEntity", 404)


def test_role_inline_policies(iam, name):
    create_role(iam, name("r"))
    iam.put_role_policy(RoleName=name("r"), PolicyName="write", PolicyDocument=json.dumps(POLICY))
    iam.put_role_policy(RoleName=name("r"), PolicyName="read", PolicyDocument=json.dumps(POLICY))
    got = iam.get_role_policy(RoleName=name("r"), PolicyName="write")
    assert (got["RoleName"], got["PolicyName"], got["PolicyDocument"]) == (name("r"), "write", POLICY)
    assert iam.list_role_policies(RoleName=name("r"))["PolicyNames"] == ["read", "write"]
    page = iam.list_role_policies(RoleName=name("r"), MaxItems=1)
    assert page["PolicyNames"] == ["read"] and page["IsTruncated"]
    assert iam.list_role_policies(RoleName=name("r"), Marker=page["Marker"])["PolicyNames"] == ["write"]
    expect(lambda: iam.get_role_policy(RoleName=name("r"), PolicyName="none"), "NoSuchEntity", 404,
           message="The role policy with name none cannot be found.")
    expect(lambda: iam.put_role_policy(RoleName=name("r"), PolicyName="p", PolicyDocument=json.dumps(TRUST)),
           "MalformedPolicyDocument", 400, message="Policy document should not specify a principal.")
    no_resource = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*"}]}
    expect(lambda: iam.put_role_policy(RoleName=name("r"), PolicyName="p", PolicyDocument=json.dumps(no_resource)),
           "MalformedPolicyDocument", 400, message="Policy statement must contain resources.")
    iam.delete_role_policy(RoleName=name("r"), PolicyName="read")
    expect(lambda: iam.delete_role_policy(RoleName=name("r"), PolicyName="read"), "NoSuchEntity", 404)
    assert iam.list_role_policies(RoleName=name("r"))["PolicyNames"] == ["write"]


def test_role_attached_policies(iam, name):
    create_role(iam, name("r"))
    mine = iam.create_policy(PolicyName=name("p"), Path="/team/", PolicyDocument=json.dumps(POLICY))["Policy"]
    iam.attach_role_policy(RoleName=name("r"), PolicyArn=mine["Arn"])
    iam.attach_role_policy(RoleName=name("r"), PolicyArn=AWS_KINESIS_FULL)
    iam.attach_role_policy(RoleName=name("r"), PolicyArn=AWS_KINESIS_FULL)  # again: no change
    attached = iam.list_attached_role_policies(RoleName=name("r"))["AttachedPolicies"]
    assert attached == [{"PolicyName": name("p"), "PolicyArn": mine["Arn"]},
                        {"PolicyName": "AmazonKinesisFullAccess", "PolicyArn": AWS_KINESIS_FULL}]
    by_path = iam.list_attached_role_policies(RoleName=name("r"), PathPrefix="/team/")["AttachedPolicies"]
    assert [p["PolicyArn"] for p in by_path] == [mine["Arn"]]
    assert iam.get_policy(PolicyArn=mine["Arn"])["Policy"]["AttachmentCount"] == 1
    missing = f"arn:aws:iam::{ACCOUNT}:policy/{name('none')}"
    expect(lambda: iam.attach_role_policy(RoleName=name("r"), PolicyArn=missing), "NoSuchEntity", 404,
           message=f"Policy {missing} does not exist or is not attachable.")
    expect(lambda: iam.detach_role_policy(RoleName=name("r"), PolicyArn=missing), "NoSuchEntity", 404,
           message=f"Policy {missing} was not found.")
    iam.detach_role_policy(RoleName=name("r"), PolicyArn=mine["Arn"])
    assert iam.get_policy(PolicyArn=mine["Arn"])["Policy"]["AttachmentCount"] == 0
    profiles = iam.list_instance_profiles_for_role(RoleName=name("r"))
    assert profiles["InstanceProfiles"] == [] and profiles["IsTruncated"] is False
    expect(lambda: iam.list_instance_profiles_for_role(RoleName=name("none")), "NoSuchEntity", 404)


def test_attached_policies_per_role_are_limited_to_ten(iam, name):
    create_role(iam, name("r"))
    arns = [iam.create_policy(PolicyName=name(f"p{i}"), PolicyDocument=json.dumps(POLICY))["Policy"]["Arn"]
            for i in range(11)]
    for arn in arns[:10]:
        iam.attach_role_policy(RoleName=name("r"), PolicyArn=arn)
    expect(lambda: iam.attach_role_policy(RoleName=name("r"), PolicyArn=arns[10]), "LimitExceeded", 409,
           message="Cannot exceed quota for PoliciesPerRole: 10")


def test_delete_role_conflicts_until_policies_are_gone(iam, name):
    create_role(iam, name("r"))
    iam.put_role_policy(RoleName=name("r"), PolicyName="p", PolicyDocument=json.dumps(POLICY))
    expect(lambda: iam.delete_role(RoleName=name("r")), "DeleteConflict", 409,
           message="Cannot delete entity, must delete policies first.")
    iam.delete_role_policy(RoleName=name("r"), PolicyName="p")
    iam.attach_role_policy(RoleName=name("r"), PolicyArn=AWS_KINESIS_FULL)
    expect(lambda: iam.delete_role(RoleName=name("r")), "DeleteConflict", 409,
           message="Cannot delete entity, must detach all policies first.")
    iam.detach_role_policy(RoleName=name("r"), PolicyArn=AWS_KINESIS_FULL)
    iam.delete_role(RoleName=name("r"))
    expect(lambda: iam.get_role(RoleName=name("r")), "NoSuchEntity", 404)
    expect(lambda: iam.delete_role(RoleName=name("r")), "NoSuchEntity", 404)


# --- documents on the wire ---------------------------------------------------------------


def test_documents_are_returned_url_encoded_and_accepted_encoded(endpoint, iam, name):
    trust_text = json.dumps(TRUST, indent=2)
    policy_text = json.dumps(POLICY)
    # An encoded document in, the JSON it encodes stored.
    iam.create_role(RoleName=name("r"), AssumeRolePolicyDocument=aws_encoded(trust_text))
    iam.put_role_policy(RoleName=name("r"), PolicyName="p", PolicyDocument=policy_text)
    arn = iam.create_policy(PolicyName=name("p"), PolicyDocument=aws_encoded(policy_text))["Policy"]["Arn"]
    iam.create_user(UserName=name("u"))
    iam.put_user_policy(UserName=name("u"), PolicyName="p", PolicyDocument=policy_text)
    calls = [
        ({"Action": "GetRole", "RoleName": name("r")}, "AssumeRolePolicyDocument", trust_text),
        ({"Action": "ListRoles", "PathPrefix": "/"}, "AssumeRolePolicyDocument", None),
        ({"Action": "GetRolePolicy", "RoleName": name("r"), "PolicyName": "p"}, "PolicyDocument", policy_text),
        ({"Action": "GetUserPolicy", "UserName": name("u"), "PolicyName": "p"}, "PolicyDocument", policy_text),
        ({"Action": "GetPolicyVersion", "PolicyArn": arn, "VersionId": "v1"}, "Document", policy_text),
    ]
    for params, element, text in calls:
        resp = raw_query(endpoint, "iam", {**params, "Version": "2010-05-08"})
        assert resp.status_code == 200, resp.text
        assert resp.headers["Content-Type"] == XML_CT
        value = xml_value(resp.text, element)
        assert value.startswith("%7B"), value
        assert "%22" in value and '"' not in value and " " not in value
        if text is not None:
            assert value == aws_encoded(text), (params["Action"], value)
            assert urllib.parse.unquote(value) == text
    # boto3 decodes them back (botocore's IAM policy handler).
    assert iam.get_role(RoleName=name("r"))["Role"]["AssumeRolePolicyDocument"] == TRUST


# --- managed policies ------------------------------------------------------------------------


def test_managed_policy_lifecycle(iam, name):
    created = iam.create_policy(PolicyName=name("p"), Path="/team/", PolicyDocument=json.dumps(POLICY),
                                Description="stream access", Tags=[{"Key": "a", "Value": "b"}])["Policy"]
    arn = f"arn:aws:iam::{ACCOUNT}:policy/team/{name('p')}"
    assert created["Arn"] == arn
    assert created["PolicyId"].startswith("ANPA") and len(created["PolicyId"]) == 21
    assert (created["DefaultVersionId"], created["AttachmentCount"], created["IsAttachable"]) == ("v1", 0, True)
    assert created["Tags"] == [{"Key": "a", "Value": "b"}]
    got = iam.get_policy(PolicyArn=arn)["Policy"]
    assert (got["PolicyName"], got["Path"], got["Description"]) == (name("p"), "/team/", "stream access")
    expect(lambda: iam.create_policy(PolicyName=name("p"), PolicyDocument=json.dumps(POLICY)),
           "EntityAlreadyExists", 409, message=f"A policy called {name('p')} already exists. Duplicate names are not allowed.")
    expect(lambda: iam.create_policy(PolicyName=name("bad"), PolicyDocument="nope"), "MalformedPolicyDocument", 400,
           message="Syntax errors in policy.")
    no_version = {"Statement": POLICY["Statement"]}
    expect(lambda: iam.create_policy(PolicyName=name("bad"), PolicyDocument=json.dumps(no_version)),
           "MalformedPolicyDocument", 400, message="Policy document must be version 2012-10-17 or greater.")
    expect(lambda: iam.get_policy(PolicyArn=arn + "x"), "NoSuchEntity", 404, message=f"Policy {arn}x was not found.")
    iam.tag_policy(PolicyArn=arn, Tags=[{"Key": "c", "Value": "d"}])
    iam.untag_policy(PolicyArn=arn, TagKeys=["a"])
    assert iam.list_policy_tags(PolicyArn=arn)["Tags"] == [{"Key": "c", "Value": "d"}]
    iam.delete_policy(PolicyArn=arn)
    expect(lambda: iam.get_policy(PolicyArn=arn), "NoSuchEntity", 404)
    expect(lambda: iam.delete_policy(PolicyArn=arn), "NoSuchEntity", 404)


def test_policy_versions(iam, name):
    arn = iam.create_policy(PolicyName=name("p"), PolicyDocument=json.dumps(POLICY))["Policy"]["Arn"]
    v2_doc = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "kinesis:Delete*", "Resource": "*"}]}
    v2 = iam.create_policy_version(PolicyArn=arn, PolicyDocument=json.dumps(v2_doc), SetAsDefault=True)
    assert v2["PolicyVersion"]["VersionId"] == "v2" and v2["PolicyVersion"]["IsDefaultVersion"] is True
    for n in (3, 4, 5):
        out = iam.create_policy_version(PolicyArn=arn, PolicyDocument=json.dumps(POLICY))["PolicyVersion"]
        assert (out["VersionId"], out["IsDefaultVersion"]) == (f"v{n}", False)
    expect(lambda: iam.create_policy_version(PolicyArn=arn, PolicyDocument=json.dumps(POLICY)), "LimitExceeded", 409,
           message="A managed policy can have up to 5 versions. Before you create a new version, you must delete "
                   "an existing version.")
    versions = iam.list_policy_versions(PolicyArn=arn)["Versions"]
    assert [(v["VersionId"], v["IsDefaultVersion"]) for v in versions] == [
        ("v5", False), ("v4", False), ("v3", False), ("v2", True), ("v1", False)]
    assert iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"] == "v2"
    got = iam.get_policy_version(PolicyArn=arn, VersionId="v2")["PolicyVersion"]
    assert got["Document"] == v2_doc and got["IsDefaultVersion"] is True
    expect(lambda: iam.get_policy_version(PolicyArn=arn, VersionId="v9"), "NoSuchEntity", 404)
    expect(lambda: iam.delete_policy_version(PolicyArn=arn, VersionId="v2"), "DeleteConflict", 409,
           message="Cannot delete the default version of a policy.")
    iam.set_default_policy_version(PolicyArn=arn, VersionId="v1")
    expect(lambda: iam.set_default_policy_version(PolicyArn=arn, VersionId="v7"), "NoSuchEntity", 404)
    expect(lambda: iam.delete_policy(PolicyArn=arn), "DeleteConflict", 409,
           contains="This policy has more than one version.")
    for v in ("v2", "v3", "v4", "v5"):
        iam.delete_policy_version(PolicyArn=arn, VersionId=v)
    expect(lambda: iam.delete_policy_version(PolicyArn=arn, VersionId="v5"), "NoSuchEntity", 404)
    assert iam.create_policy_version(PolicyArn=arn, PolicyDocument=json.dumps(POLICY))["PolicyVersion"]["VersionId"] == "v6"
    iam.delete_policy_version(PolicyArn=arn, VersionId="v6")
    iam.delete_policy(PolicyArn=arn)


def test_delete_policy_conflicts_while_attached(iam, name):
    arn = iam.create_policy(PolicyName=name("p"), PolicyDocument=json.dumps(POLICY))["Policy"]["Arn"]
    iam.create_user(UserName=name("u"))
    iam.attach_user_policy(UserName=name("u"), PolicyArn=arn)
    expect(lambda: iam.delete_policy(PolicyArn=arn), "DeleteConflict", 409,
           message="Cannot delete a policy attached to entities.")
    entities = iam.list_entities_for_policy(PolicyArn=arn)
    assert [u["UserName"] for u in entities["PolicyUsers"]] == [name("u")] and entities["PolicyRoles"] == []
    iam.detach_user_policy(UserName=name("u"), PolicyArn=arn)
    iam.delete_policy(PolicyArn=arn)


def test_list_policies_by_scope_path_and_attachment(iam, name):
    path = f"/{name()}/"
    arn = iam.create_policy(PolicyName=name("p"), Path=path, PolicyDocument=json.dumps(POLICY))["Policy"]["Arn"]
    local = iam.list_policies(Scope="Local", PathPrefix=path)["Policies"]
    assert [p["Arn"] for p in local] == [arn]
    assert "Description" not in local[0] and "Tags" not in local[0]
    aws = [p["Arn"] for page in iam.get_paginator("list_policies").paginate(Scope="AWS") for p in page["Policies"]]
    assert AWS_KINESIS_FULL in aws and arn not in aws
    everything = [p["Arn"] for page in iam.get_paginator("list_policies").paginate(MaxItems=3) for p in page["Policies"]]
    assert arn in everything and AWS_KINESIS_FULL in everything and len(everything) == len(set(everything))
    assert iam.list_policies(Scope="Local", PathPrefix=path, OnlyAttached=True)["Policies"] == []
    create_role(iam, name("r"))
    iam.attach_role_policy(RoleName=name("r"), PolicyArn=arn)
    attached = iam.list_policies(Scope="Local", PathPrefix=path, OnlyAttached=True)["Policies"]
    assert [(p["Arn"], p["AttachmentCount"]) for p in attached] == [(arn, 1)]
    aws_policy = iam.get_policy(PolicyArn=AWS_KINESIS_FULL)["Policy"]
    assert aws_policy["PolicyName"] == "AmazonKinesisFullAccess" and aws_policy["DefaultVersionId"] == "v1"
    expect(lambda: iam.delete_policy(PolicyArn=AWS_KINESIS_FULL), "AccessDenied", 403,
           message=f"User: arn:aws:iam::{ACCOUNT}:root is not authorized to perform: iam:DeletePolicy on resource: "
                   f"policy {AWS_KINESIS_FULL}")


# --- users and access keys ----------------------------------------------------------------------


def test_user_lifecycle_tags_and_policies(iam, name):
    user = iam.create_user(UserName=name("u"), Path="/eng/", Tags=[{"Key": "team", "Value": "a"}])["User"]
    assert user["Arn"] == f"arn:aws:iam::{ACCOUNT}:user/eng/{name('u')}"
    assert user["UserId"].startswith("AIDA") and len(user["UserId"]) == 21
    assert user["Tags"] == [{"Key": "team", "Value": "a"}]
    expect(lambda: iam.create_user(UserName=name("u")), "EntityAlreadyExists", 409,
           message=f"User with name {name('u')} already exists.")
    got = iam.get_user(UserName=name("u"))["User"]
    assert (got["UserId"], got["Path"]) == (user["UserId"], "/eng/")
    expect(lambda: iam.get_user(UserName=name("none")), "NoSuchEntity", 404,
           message=f"The user with name {name('none')} cannot be found.")
    listed = iam.list_users(PathPrefix="/eng/")["Users"]
    assert name("u") in [u["UserName"] for u in listed]
    iam.tag_user(UserName=name("u"), Tags=[{"Key": "env", "Value": "dev"}])
    iam.untag_user(UserName=name("u"), TagKeys=["team"])
    assert iam.list_user_tags(UserName=name("u"))["Tags"] == [{"Key": "env", "Value": "dev"}]
    iam.put_user_policy(UserName=name("u"), PolicyName="p", PolicyDocument=json.dumps(POLICY))
    assert iam.get_user_policy(UserName=name("u"), PolicyName="p")["PolicyDocument"] == POLICY
    assert iam.list_user_policies(UserName=name("u"))["PolicyNames"] == ["p"]
    expect(lambda: iam.get_user_policy(UserName=name("u"), PolicyName="q"), "NoSuchEntity", 404,
           message="The user policy with name q cannot be found.")
    expect(lambda: iam.delete_user(UserName=name("u")), "DeleteConflict", 409,
           message="Cannot delete entity, must delete policies first.")
    iam.delete_user_policy(UserName=name("u"), PolicyName="p")
    iam.attach_user_policy(UserName=name("u"), PolicyArn=AWS_KINESIS_FULL)
    assert iam.list_attached_user_policies(UserName=name("u"))["AttachedPolicies"] == [
        {"PolicyName": "AmazonKinesisFullAccess", "PolicyArn": AWS_KINESIS_FULL}]
    expect(lambda: iam.delete_user(UserName=name("u")), "DeleteConflict", 409,
           message="Cannot delete entity, must detach all policies first.")
    iam.detach_user_policy(UserName=name("u"), PolicyArn=AWS_KINESIS_FULL)
    key = iam.create_access_key(UserName=name("u"))["AccessKey"]
    expect(lambda: iam.delete_user(UserName=name("u")), "DeleteConflict", 409,
           message="Cannot delete entity, must delete access keys first.")
    iam.delete_access_key(UserName=name("u"), AccessKeyId=key["AccessKeyId"])
    iam.delete_user(UserName=name("u"))
    expect(lambda: iam.get_user(UserName=name("u")), "NoSuchEntity", 404)


def test_get_user_without_a_name_answers_root_as_aws_does(iam):
    user = iam.get_user()["User"]
    assert user["UserId"] == ACCOUNT
    assert user["Arn"] == f"arn:aws:iam::{ACCOUNT}:root"
    assert "CreateDate" in user and "UserName" not in user
    # How the Terraform provider reads the account id.
    assert user["Arn"].split(":")[4] == ACCOUNT


def test_access_keys_lifecycle_and_limits(iam, raw_iam, name):
    iam.create_user(UserName=name("u"))
    key = iam.create_access_key(UserName=name("u"))["AccessKey"]
    assert key["UserName"] == name("u") and key["Status"] == "Active"
    assert key["AccessKeyId"].startswith("AKIA") and len(key["AccessKeyId"]) == 20
    assert len(key["SecretAccessKey"]) == 40
    second = iam.create_access_key(UserName=name("u"))["AccessKey"]
    expect(lambda: iam.create_access_key(UserName=name("u")), "LimitExceeded", 409,
           message="Cannot exceed quota for AccessKeysPerUser: 2")
    listed = iam.list_access_keys(UserName=name("u"))["AccessKeyMetadata"]
    assert sorted(k["AccessKeyId"] for k in listed) == sorted([key["AccessKeyId"], second["AccessKeyId"]])
    assert all(k["Status"] == "Active" and "SecretAccessKey" not in k for k in listed)
    iam.update_access_key(UserName=name("u"), AccessKeyId=key["AccessKeyId"], Status="Inactive")
    statuses = {k["AccessKeyId"]: k["Status"] for k in iam.list_access_keys(UserName=name("u"))["AccessKeyMetadata"]}
    assert statuses[key["AccessKeyId"]] == "Inactive"
    expect(lambda: raw_iam.update_access_key(UserName=name("u"), AccessKeyId=key["AccessKeyId"], Status="Sleeping"),
           "ValidationError", 400)
    last = iam.get_access_key_last_used(AccessKeyId=key["AccessKeyId"])
    assert last["UserName"] == name("u")
    assert last["AccessKeyLastUsed"] == {"ServiceName": "N/A", "Region": "N/A"}
    missing = "AKIA" + "0" * 16
    expect(lambda: iam.delete_access_key(UserName=name("u"), AccessKeyId=missing), "NoSuchEntity", 404,
           message=f"The Access Key with id {missing} cannot be found.")
    expect(lambda: iam.create_access_key(UserName=name("none")), "NoSuchEntity", 404)
    iam.delete_access_key(UserName=name("u"), AccessKeyId=key["AccessKeyId"])
    assert [k["AccessKeyId"] for k in iam.list_access_keys(UserName=name("u"))["AccessKeyMetadata"]] == [
        second["AccessKeyId"]]


def test_an_iam_users_access_key_signs_kinesis_requests(endpoint, iam, name):
    iam.create_user(UserName=name("u"))
    key = iam.create_access_key(UserName=name("u"))["AccessKey"]
    kinesis = make_client(endpoint, access_key=key["AccessKeyId"], secret_key=key["SecretAccessKey"])
    assert "StreamNames" in kinesis.list_streams()
    # The key acts as the user.
    as_user = client(endpoint, access_key=key["AccessKeyId"], secret_key=key["SecretAccessKey"])
    assert as_user.get_user()["User"]["UserName"] == name("u")
    sts = client(endpoint, "sts", access_key=key["AccessKeyId"], secret_key=key["SecretAccessKey"])
    assert sts.get_caller_identity()["Arn"] == f"arn:aws:iam::{ACCOUNT}:user/{name('u')}"
    # A wrong secret, an inactive key and a deleted key are refused.
    wrong = make_client(endpoint, access_key=key["AccessKeyId"], secret_key="x" * 40)
    with pytest.raises(ClientError) as info:
        wrong.list_streams()
    assert info.value.response["Error"]["Code"] == "InvalidSignatureException"
    iam.update_access_key(UserName=name("u"), AccessKeyId=key["AccessKeyId"], Status="Inactive")
    with pytest.raises(ClientError) as info:
        kinesis.list_streams()
    assert info.value.response["Error"]["Code"] == "UnrecognizedClientException"
    iam.update_access_key(UserName=name("u"), AccessKeyId=key["AccessKeyId"], Status="Active")
    kinesis.list_streams()
    iam.delete_access_key(UserName=name("u"), AccessKeyId=key["AccessKeyId"])
    with pytest.raises(ClientError) as info:
        kinesis.list_streams()
    assert info.value.response["Error"]["Code"] == "UnrecognizedClientException"


# --- AssumeRole credentials -------------------------------------------------------------------------


def test_assume_role_credentials_sign_requests_only_with_their_token(endpoint, iam, name):
    role = create_role(iam, name("r"))
    sts = client(endpoint, "sts")
    out = sts.assume_role(RoleArn=role["Arn"], RoleSessionName="worker")
    creds = out["Credentials"]
    assert creds["AccessKeyId"].startswith("ASIA")
    assert out["AssumedRoleUser"] == {"AssumedRoleId": f"{role['RoleId']}:worker",
                                      "Arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/{name('r')}/worker"}
    kinesis = boto3.client("kinesis", endpoint_url=endpoint, region_name=REGION,
                           aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                           aws_session_token=creds["SessionToken"],
                           config=botocore.config.Config(retries={"total_max_attempts": 1, "mode": "standard"}))
    assert "StreamNames" in kinesis.list_streams()
    as_role = client(endpoint, "sts", access_key=creds["AccessKeyId"], secret_key=creds["SecretAccessKey"],
                     token=creds["SessionToken"])
    assert as_role.get_caller_identity()["UserId"] == f"{role['RoleId']}:worker"
    # Without the session token, or with another one, the key is unknown.
    for token in (None, creds["SessionToken"][:-4] + "AAAA"):
        bad = make_client(endpoint, access_key=creds["AccessKeyId"], secret_key=creds["SecretAccessKey"])
        if token is not None:
            bad = boto3.client("kinesis", endpoint_url=endpoint, region_name=REGION,
                               aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                               aws_session_token=token,
                               config=botocore.config.Config(retries={"total_max_attempts": 1, "mode": "standard"}))
        with pytest.raises(ClientError) as info:
            bad.list_streams()
        assert info.value.response["Error"]["Code"] == "UnrecognizedClientException"
        assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    # Over awsQuery too.
    resp = raw_query(endpoint, "sts", {"Action": "GetCallerIdentity", "Version": "2011-06-15"},
                     access_key=creds["AccessKeyId"], secret_key=creds["SecretAccessKey"])
    assert resp.status_code == 403 and "<Code>InvalidClientTokenId</Code>" in resp.text, resp.text
    resp = raw_query(endpoint, "sts", {"Action": "GetCallerIdentity", "Version": "2011-06-15"},
                     access_key=creds["AccessKeyId"], secret_key=creds["SecretAccessKey"], token=creds["SessionToken"])
    assert resp.status_code == 200 and f"assumed-role/{name('r')}/worker" in resp.text


# --- restart -------------------------------------------------------------------------------------


def test_iam_state_and_credentials_survive_a_restart(start_kinesd, tmp_path):
    data = tmp_path / "iam-restart"
    server = start_kinesd(data_dir=data)
    iam = client(server.endpoint)
    role = create_role(iam, "survivor", Tags=[{"Key": "a", "Value": "b"}])
    iam.put_role_policy(RoleName="survivor", PolicyName="inline", PolicyDocument=json.dumps(POLICY))
    arn = iam.create_policy(PolicyName="managed", PolicyDocument=json.dumps(POLICY))["Policy"]["Arn"]
    iam.create_policy_version(PolicyArn=arn, PolicyDocument=json.dumps(POLICY), SetAsDefault=True)
    iam.attach_role_policy(RoleName="survivor", PolicyArn=arn)
    iam.create_user(UserName="keeper", Tags=[{"Key": "k", "Value": "v"}])
    key = iam.create_access_key(UserName="keeper")["AccessKey"]
    iam.update_access_key(UserName="keeper", AccessKeyId=key["AccessKeyId"], Status="Inactive")
    creds = client(server.endpoint, "sts").assume_role(RoleArn=role["Arn"], RoleSessionName="s1")["Credentials"]
    server.stop()

    server = start_kinesd(data_dir=data)
    iam = client(server.endpoint)
    again = iam.get_role(RoleName="survivor")["Role"]
    assert (again["RoleId"], again["Arn"], again["CreateDate"]) == (role["RoleId"], role["Arn"], role["CreateDate"])
    assert again["Tags"] == [{"Key": "a", "Value": "b"}]
    assert again["AssumeRolePolicyDocument"] == TRUST
    assert iam.get_role_policy(RoleName="survivor", PolicyName="inline")["PolicyDocument"] == POLICY
    policy = iam.get_policy(PolicyArn=arn)["Policy"]
    assert (policy["DefaultVersionId"], policy["AttachmentCount"]) == ("v2", 1)
    assert iam.list_user_tags(UserName="keeper")["Tags"] == [{"Key": "k", "Value": "v"}]
    status = iam.list_access_keys(UserName="keeper")["AccessKeyMetadata"][0]["Status"]
    assert status == "Inactive"
    iam.update_access_key(UserName="keeper", AccessKeyId=key["AccessKeyId"], Status="Active")
    kinesis = make_client(server.endpoint, access_key=key["AccessKeyId"], secret_key=key["SecretAccessKey"])
    assert "StreamNames" in kinesis.list_streams()
    as_role = client(server.endpoint, "sts", access_key=creds["AccessKeyId"], secret_key=creds["SecretAccessKey"],
                     token=creds["SessionToken"])
    assert as_role.get_caller_identity()["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/survivor/s1"
