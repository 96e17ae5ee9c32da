"""KMS over awsJson 1.1 (TrentService) with boto3: keys and their lifecycle
(enable/disable, scheduled deletion), key policies, rotation settings, tags,
aliases, the AWS-managed alias/aws/kinesis, Encrypt/Decrypt/ReEncrypt, data
keys, GenerateRandom, errors, durability across a restart and opening a data
dir written by the previous schema."""
import json
import os
import sqlite3
import stat
import time
import uuid

import boto3
import botocore.config
import pytest
from botocore.exceptions import ClientError

from e2e_util import ACCESS_KEY, ACCOUNT, REGION, SECRET_KEY

DAY_S = 86400


def kms_client(endpoint, parameter_validation=True):
    return boto3.client("kms", endpoint_url=endpoint, region_name=REGION, aws_access_key_id=ACCESS_KEY,
                        aws_secret_access_key=SECRET_KEY,
                        config=botocore.config.Config(retries={"total_max_attempts": 1, "mode": "standard"},
                                                      parameter_validation=parameter_validation))


@pytest.fixture(scope="module")
def kms(endpoint):
    return kms_client(endpoint)


@pytest.fixture(scope="module")
def raw_kms(endpoint):
    """A client that sends what it is given, for the server's own validation."""
    return kms_client(endpoint, parameter_validation=False)


def error_code(info):
    return info.value.response["Error"]["Code"]


def error_message(info):
    return info.value.response["Error"]["Message"]


def key_arn(key_id):
    return f"arn:aws:kms:{REGION}:{ACCOUNT}:key/{key_id}"


def alias_arn(alias):
    return f"arn:aws:kms:{REGION}:{ACCOUNT}:{alias}"


def unique_alias():
    return "alias/e2e-" + uuid.uuid4().hex[:12]


def expect_error(code, call, *args, message=None, **kwargs):
    """Runs call(*args, **kwargs), asserting it fails with `code` (and `message`)."""
    with pytest.raises(ClientError) as info:
        call(*args, **kwargs)
    assert error_code(info) == code, info.value.response["Error"]
    if message is not None:
        assert error_message(info) == message
    return info


def default_policy():
    return {
        "Version": "2012-10-17",
        "Id": "key-default-1",
        "Statement": [{
            "Sid": "Enable IAM User Permissions",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
            "Action": "kms:*",
            "Resource": "*",
        }],
    }


CUSTOM_POLICY = json.dumps({
    "Version": "2012-10-17",
    "Id": "custom",
    "Statement": [{"Sid": "root", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                   "Action": "kms:*", "Resource": "*"}],
})


def test_create_describe_and_list_keys(kms):
    meta = kms.create_key(Description="e2e key")["KeyMetadata"]
    key_id = meta["KeyId"]
    uuid.UUID(key_id)
    assert meta["Arn"] == f"arn:aws:kms:{REGION}:{ACCOUNT}:key/{key_id}"
    assert meta["AWSAccountId"] == ACCOUNT
    assert meta["KeyState"] == "Enabled"
    assert meta["Enabled"] is True
    assert meta["KeyUsage"] == "ENCRYPT_DECRYPT"
    assert meta["KeySpec"] == "SYMMETRIC_DEFAULT"
    assert meta["KeyManager"] == "CUSTOMER"
    assert meta["Origin"] == "AWS_KMS"
    assert meta["EncryptionAlgorithms"] == ["SYMMETRIC_DEFAULT"]
    assert meta["MultiRegion"] is False
    assert meta["Description"] == "e2e key"
    assert meta["CreationDate"] is not None

    described = kms.describe_key(KeyId=key_id)["KeyMetadata"]
    assert described["KeyId"] == key_id
    assert kms.describe_key(KeyId=meta["Arn"])["KeyMetadata"]["KeyId"] == key_id

    listed = [k for page in kms.get_paginator("list_keys").paginate(PaginationConfig={"PageSize": 1})
              for k in page["Keys"]]
    assert {"KeyId": key_id, "KeyArn": meta["Arn"]} in listed


def test_alias_then_describe_by_alias(kms):
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    alias = "alias/e2e-" + uuid.uuid4().hex[:10]
    kms.create_alias(AliasName=alias, TargetKeyId=key_id)
    assert kms.describe_key(KeyId=alias)["KeyMetadata"]["KeyId"] == key_id
    alias_arn = f"arn:aws:kms:{REGION}:{ACCOUNT}:{alias}"
    assert kms.describe_key(KeyId=alias_arn)["KeyMetadata"]["KeyId"] == key_id
    aliases = kms.list_aliases(KeyId=key_id)["Aliases"]
    assert [(a["AliasName"], a["AliasArn"], a["TargetKeyId"]) for a in aliases] == [(alias, alias_arn, key_id)]
    with pytest.raises(ClientError) as info:
        kms.create_alias(AliasName=alias, TargetKeyId=key_id)
    assert error_code(info) == "AlreadyExistsException"


def test_encrypt_decrypt_round_trip(kms):
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    arn = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/{key_id}"
    out = kms.encrypt(KeyId=key_id, Plaintext=b"attack at dawn", EncryptionContext={"stream": "s1"})
    assert out["KeyId"] == arn
    assert out["EncryptionAlgorithm"] == "SYMMETRIC_DEFAULT"
    blob = out["CiphertextBlob"]
    assert b"attack at dawn" not in blob
    back = kms.decrypt(CiphertextBlob=blob, KeyId=key_id, EncryptionContext={"stream": "s1"})
    assert back["Plaintext"] == b"attack at dawn"
    assert back["KeyId"] == arn
    # The blob identifies its key: no KeyId needed.
    assert kms.decrypt(CiphertextBlob=blob, EncryptionContext={"stream": "s1"})["Plaintext"] == b"attack at dawn"
    # A different encryption context does not authenticate.
    with pytest.raises(ClientError) as info:
        kms.decrypt(CiphertextBlob=blob, EncryptionContext={"stream": "s2"})
    assert error_code(info) == "InvalidCiphertextException"


def test_generate_data_key(kms):
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    out = kms.generate_data_key(KeyId=key_id, KeySpec="AES_256")
    assert len(out["Plaintext"]) == 32
    assert kms.decrypt(CiphertextBlob=out["CiphertextBlob"])["Plaintext"] == out["Plaintext"]
    out = kms.generate_data_key(KeyId=key_id, NumberOfBytes=64)
    assert len(out["Plaintext"]) == 64
    assert kms.decrypt(CiphertextBlob=out["CiphertextBlob"])["Plaintext"] == out["Plaintext"]
    with pytest.raises(ClientError) as info:
        kms.generate_data_key(KeyId=key_id)
    assert error_code(info) == "ValidationException"


def test_aws_managed_kinesis_alias_appears_on_first_use(start_kinesd):
    kms = kms_client(start_kinesd().endpoint)
    # Listed before its key exists, without a TargetKeyId, as AWS lists its predefined aliases.
    before = {a["AliasName"]: a for a in kms.list_aliases()["Aliases"]}
    assert "TargetKeyId" not in before["alias/aws/kinesis"]
    assert before["alias/aws/kinesis"]["AliasArn"] == f"arn:aws:kms:{REGION}:{ACCOUNT}:alias/aws/kinesis"
    meta = kms.describe_key(KeyId="alias/aws/kinesis")["KeyMetadata"]
    assert meta["KeyManager"] == "AWS"
    assert meta["KeyState"] == "Enabled"
    aliases = {a["AliasName"]: a for a in kms.list_aliases()["Aliases"]}
    assert aliases["alias/aws/kinesis"]["TargetKeyId"] == meta["KeyId"]
    # Same key on the next use.
    assert kms.describe_key(KeyId="alias/aws/kinesis")["KeyMetadata"]["KeyId"] == meta["KeyId"]
    blob = kms.encrypt(KeyId="alias/aws/kinesis", Plaintext=b"x")["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"x"


def test_tampered_ciphertext_is_invalid(kms):
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    blob = bytearray(kms.encrypt(KeyId=key_id, Plaintext=b"hello")["CiphertextBlob"])
    blob[-1] ^= 1
    with pytest.raises(ClientError) as info:
        kms.decrypt(CiphertextBlob=bytes(blob))
    assert error_code(info) == "InvalidCiphertextException"
    with pytest.raises(ClientError) as info:
        kms.decrypt(CiphertextBlob=b"not a kms ciphertext blob at all, really")
    assert error_code(info) == "InvalidCiphertextException"


def test_unknown_key_and_alias_are_not_found(kms):
    for key in (str(uuid.uuid4()), "alias/does-not-exist-" + uuid.uuid4().hex[:6]):
        with pytest.raises(ClientError) as info:
            kms.describe_key(KeyId=key)
        assert error_code(info) == "NotFoundException"
    with pytest.raises(ClientError) as info:
        kms.encrypt(KeyId=str(uuid.uuid4()), Plaintext=b"x")
    assert error_code(info) == "NotFoundException"
    with pytest.raises(ClientError) as info:
        kms.create_alias(AliasName="alias/e2e-" + uuid.uuid4().hex[:8], TargetKeyId=str(uuid.uuid4()))
    assert error_code(info) == "NotFoundException"


def test_keys_survive_a_restart(start_kinesd, tmp_path):
    data_dir = tmp_path / "kms-data"
    server = start_kinesd(data_dir=data_dir)
    kms = kms_client(server.endpoint)
    key_id = kms.create_key(Description="durable")["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName="alias/durable", TargetKeyId=key_id)
    blob = kms.encrypt(KeyId="alias/durable", Plaintext=b"keep me")["CiphertextBlob"]
    master = data_dir / "kms-master.key"
    assert stat.S_IMODE(os.stat(master).st_mode) == 0o600
    assert os.path.getsize(master) == 32
    for path in data_dir.glob("kms.db*"):
        assert b"keep me" not in path.read_bytes()
    assert server.stop() == 0

    kms = kms_client(start_kinesd(data_dir=data_dir).endpoint)
    meta = kms.describe_key(KeyId="alias/durable")["KeyMetadata"]
    assert meta["KeyId"] == key_id and meta["Description"] == "durable"
    assert key_id in [k["KeyId"] for k in kms.list_keys()["Keys"]]
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"keep me"


# --- CreateKey attributes, DescribeKey metadata --------------------------------------

SYMMETRIC_METADATA_FIELDS = {
    "AWSAccountId", "KeyId", "Arn", "CreationDate", "Enabled", "Description", "KeyUsage", "KeyState", "Origin",
    "KeyManager", "CustomerMasterKeySpec", "KeySpec", "EncryptionAlgorithms", "MultiRegion",
}


def test_create_key_stores_every_attribute_and_the_default_policy(kms):
    before = time.time()
    meta = kms.create_key(Description="full", KeyUsage="ENCRYPT_DECRYPT", KeySpec="SYMMETRIC_DEFAULT",
                          Tags=[{"TagKey": "team", "TagValue": "streams"}, {"TagKey": "empty", "TagValue": ""}],
                          BypassPolicyLockoutSafetyCheck=True)["KeyMetadata"]
    key_id = meta["KeyId"]
    assert set(meta) == SYMMETRIC_METADATA_FIELDS
    assert meta["CustomerMasterKeySpec"] == "SYMMETRIC_DEFAULT"
    assert before - 1 <= meta["CreationDate"].timestamp() <= time.time() + 1
    described = kms.describe_key(KeyId=key_id)["KeyMetadata"]
    assert described == meta

    policy = kms.get_key_policy(KeyId=key_id, PolicyName="default")
    assert policy["PolicyName"] == "default"
    assert json.loads(policy["Policy"]) == default_policy()
    assert json.loads(kms.get_key_policy(KeyId=key_id)["Policy"]) == default_policy()
    listed = kms.list_key_policies(KeyId=key_id)
    assert (listed["PolicyNames"], listed["Truncated"]) == (["default"], False)
    tags = kms.list_resource_tags(KeyId=key_id)
    assert tags["Tags"] == [{"TagKey": "empty", "TagValue": ""}, {"TagKey": "team", "TagValue": "streams"}]
    assert tags["Truncated"] is False


def test_create_key_with_a_policy_returns_it_verbatim(kms):
    key_id = kms.create_key(Policy=CUSTOM_POLICY, CustomerMasterKeySpec="SYMMETRIC_DEFAULT")["KeyMetadata"]["KeyId"]
    assert kms.get_key_policy(KeyId=key_id, PolicyName="default")["Policy"] == CUSTOM_POLICY


def test_signing_and_hmac_keys_are_described_and_refuse_encryption(kms):
    hmac = kms.create_key(KeySpec="HMAC_512", KeyUsage="GENERATE_VERIFY_MAC")["KeyMetadata"]
    assert (hmac["KeySpec"], hmac["KeyUsage"], hmac["MacAlgorithms"]) == ("HMAC_512", "GENERATE_VERIFY_MAC",
                                                                           ["HMAC_SHA_512"])
    assert "EncryptionAlgorithms" not in hmac
    ecc = kms.create_key(KeySpec="ECC_NIST_P384", KeyUsage="SIGN_VERIFY")["KeyMetadata"]
    assert ecc["SigningAlgorithms"] == ["ECDSA_SHA_384"]
    assert ecc["CustomerMasterKeySpec"] == "ECC_NIST_P384"
    rsa = kms.create_key(KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY")["KeyMetadata"]
    assert "RSASSA_PSS_SHA_256" in rsa["SigningAlgorithms"]
    for meta in (hmac, ecc, rsa):
        expect_error("InvalidKeyUsageException", kms.encrypt, KeyId=meta["KeyId"], Plaintext=b"x",
                     message=f"{meta['Arn']} key usage is {meta['KeyUsage']} which is not valid for Encrypt.")
        expect_error("InvalidKeyUsageException", kms.generate_data_key, KeyId=meta["KeyId"], KeySpec="AES_256")
        expect_error("UnsupportedOperationException", kms.enable_key_rotation, KeyId=meta["KeyId"])


@pytest.mark.parametrize("kwargs, code", [
    ({"KeySpec": "RSA_2048"}, "ValidationException"),
    ({"KeySpec": "SYMMETRIC_DEFAULT", "KeyUsage": "SIGN_VERIFY"}, "ValidationException"),
    ({"KeySpec": "HMAC_256", "KeyUsage": "ENCRYPT_DECRYPT"}, "ValidationException"),
    ({"KeySpec": "SYMMETRIC_DEFAULT", "CustomerMasterKeySpec": "SYMMETRIC_DEFAULT"}, "ValidationException"),
    ({"KeySpec": "RSA_3072", "KeyUsage": "ENCRYPT_DECRYPT"}, "UnsupportedOperationException"),
    ({"KeySpec": "ECC_NIST_P256", "KeyUsage": "KEY_AGREEMENT"}, "UnsupportedOperationException"),
    ({"MultiRegion": True}, "UnsupportedOperationException"),
    ({"Origin": "EXTERNAL"}, "UnsupportedOperationException"),
    ({"Policy": "{\"Statement\": "}, "MalformedPolicyDocumentException"),
    ({"Policy": json.dumps({"Statement": [{"Effect": "Allow", "Action": "kms:*"}]})},
     "MalformedPolicyDocumentException"),
    ({"Tags": [{"TagKey": "aws:reserved", "TagValue": "v"}]}, "TagException"),
    ({"Tags": [{"TagKey": "k", "TagValue": "1"}, {"TagKey": "k", "TagValue": "2"}]}, "TagException"),
    ({"Tags": [{"TagKey": f"k{i}", "TagValue": ""} for i in range(51)]}, "TagException"),
])
def test_create_key_refusals(kms, kwargs, code):
    def key_ids():
        return {k["KeyId"] for page in kms.get_paginator("list_keys").paginate() for k in page["Keys"]}

    before = key_ids()
    expect_error(code, kms.create_key, **kwargs)
    assert key_ids() == before  # nothing half-created


# --- key policies ---------------------------------------------------------------------


def test_put_and_get_key_policy_with_errors(kms):
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.put_key_policy(KeyId=key_id, PolicyName="default", Policy=CUSTOM_POLICY, BypassPolicyLockoutSafetyCheck=True)
    assert kms.get_key_policy(KeyId=key_arn(key_id))["Policy"] == CUSTOM_POLICY
    expect_error("MalformedPolicyDocumentException", kms.put_key_policy, KeyId=key_id, Policy="not json")
    expect_error("MalformedPolicyDocumentException", kms.put_key_policy, KeyId=key_id,
                 Policy=json.dumps({"Statement": [{"Effect": "Perhaps", "Principal": "*", "Action": "kms:*"}]}))
    assert kms.get_key_policy(KeyId=key_id)["Policy"] == CUSTOM_POLICY
    expect_error("NotFoundException", kms.get_key_policy, KeyId=key_id, PolicyName="other",
                 message="No such policy exists")
    expect_error("NotFoundException", kms.put_key_policy, KeyId=key_id, PolicyName="other", Policy=CUSTOM_POLICY)
    missing = str(uuid.uuid4())
    expect_error("NotFoundException", kms.get_key_policy, KeyId=missing,
                 message=f"Key '{key_arn(missing)}' does not exist")
    expect_error("NotFoundException", kms.list_key_policies, KeyId=missing)


# --- rotation -------------------------------------------------------------------------


def test_key_rotation_settings(kms, raw_kms):
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    status = kms.get_key_rotation_status(KeyId=key_id)
    assert (status["KeyRotationEnabled"], status["KeyId"]) == (False, key_id)
    assert "RotationPeriodInDays" not in status and "NextRotationDate" not in status

    kms.enable_key_rotation(KeyId=key_id)
    status = kms.get_key_rotation_status(KeyId=key_arn(key_id))
    assert (status["KeyRotationEnabled"], status["RotationPeriodInDays"]) == (True, 365)
    assert abs(status["NextRotationDate"].timestamp() - (time.time() + 365 * DAY_S)) < 60

    kms.enable_key_rotation(KeyId=key_id, RotationPeriodInDays=90)
    status = kms.get_key_rotation_status(KeyId=key_id)
    assert status["RotationPeriodInDays"] == 90
    assert abs(status["NextRotationDate"].timestamp() - (time.time() + 90 * DAY_S)) < 60
    kms.enable_key_rotation(KeyId=key_id, RotationPeriodInDays=2560)
    assert kms.get_key_rotation_status(KeyId=key_id)["RotationPeriodInDays"] == 2560
    for days in (89, 2561):
        expect_error("ValidationException", raw_kms.enable_key_rotation, KeyId=key_id, RotationPeriodInDays=days)
    assert kms.get_key_rotation_status(KeyId=key_id)["RotationPeriodInDays"] == 2560

    kms.disable_key_rotation(KeyId=key_id)
    assert kms.get_key_rotation_status(KeyId=key_id)["KeyRotationEnabled"] is False

    kms.disable_key(KeyId=key_id)
    expect_error("DisabledException", kms.enable_key_rotation, KeyId=key_id, message=f"{key_arn(key_id)} is disabled.")
    assert kms.get_key_rotation_status(KeyId=key_id)["KeyRotationEnabled"] is False
    expect_error("NotFoundException", kms.enable_key_rotation, KeyId=str(uuid.uuid4()))


def test_aws_managed_key_rotates_yearly_and_refuses_changes(kms):
    meta = kms.describe_key(KeyId="alias/aws/kinesis")["KeyMetadata"]
    key_id = meta["KeyId"]
    assert (meta["KeyManager"], meta["Description"]) == (
        "AWS", "Default key that protects my Kinesis data when no other key is defined")
    status = kms.get_key_rotation_status(KeyId=key_id)
    assert (status["KeyRotationEnabled"], status["RotationPeriodInDays"]) == (True, 365)
    assert status["NextRotationDate"].timestamp() > time.time()
    policy = json.loads(kms.get_key_policy(KeyId=key_id)["Policy"])
    assert policy["Id"] == "auto-kinesis-1"
    assert policy["Statement"][0]["Condition"]["StringEquals"]["kms:ViaService"] == f"kinesis.{REGION}.amazonaws.com"

    changes = [
        ("EnableKeyRotation", kms.enable_key_rotation, {}),
        ("DisableKeyRotation", kms.disable_key_rotation, {}),
        ("DisableKey", kms.disable_key, {}),
        ("EnableKey", kms.enable_key, {}),
        ("ScheduleKeyDeletion", kms.schedule_key_deletion, {"PendingWindowInDays": 7}),
        ("CancelKeyDeletion", kms.cancel_key_deletion, {}),
        ("PutKeyPolicy", kms.put_key_policy, {"PolicyName": "default", "Policy": CUSTOM_POLICY}),
        ("TagResource", kms.tag_resource, {"Tags": [{"TagKey": "a", "TagValue": "b"}]}),
        ("UntagResource", kms.untag_resource, {"TagKeys": ["a"]}),
        ("UpdateKeyDescription", kms.update_key_description, {"Description": "mine"}),
    ]
    for action, call, kwargs in changes:
        expect_error("AccessDeniedException", call, KeyId=key_id, **kwargs,
                     message=f"User: arn:aws:iam::{ACCOUNT}:root is not authorized to perform: kms:{action} on "
                             f"resource: {key_arn(key_id)} because no resource-based policy allows the "
                             f"kms:{action} action")
    expect_error("NotAuthorizedException", kms.delete_alias, AliasName="alias/aws/kinesis")
    other = kms.create_key()["KeyMetadata"]["KeyId"]
    expect_error("NotAuthorizedException", kms.update_alias, AliasName="alias/aws/kinesis", TargetKeyId=other)
    expect_error("NotAuthorizedException", kms.create_alias, AliasName=unique_alias(), TargetKeyId=key_id)
    after = kms.describe_key(KeyId="alias/aws/kinesis")["KeyMetadata"]
    assert (after["KeyId"], after["KeyState"], after["Description"]) == (key_id, "Enabled", meta["Description"])


# --- enable / disable -----------------------------------------------------------------


def test_disabled_key_refuses_cryptography_until_enabled(kms):
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    alias = unique_alias()
    kms.create_alias(AliasName=alias, TargetKeyId=key_id)
    blob = kms.encrypt(KeyId=key_id, Plaintext=b"before")["CiphertextBlob"]
    kms.disable_key(KeyId=key_id)
    kms.disable_key(KeyId=key_id)  # idempotent
    meta = kms.describe_key(KeyId=alias)["KeyMetadata"]
    assert (meta["KeyState"], meta["Enabled"]) == ("Disabled", False)
    disabled = f"{key_arn(key_id)} is disabled."
    expect_error("DisabledException", kms.encrypt, KeyId=alias, Plaintext=b"x", message=disabled)
    expect_error("DisabledException", kms.decrypt, CiphertextBlob=blob, message=disabled)
    expect_error("DisabledException", kms.generate_data_key, KeyId=key_id, KeySpec="AES_256", message=disabled)
    expect_error("DisabledException", kms.generate_data_key_without_plaintext, KeyId=key_id, NumberOfBytes=16,
                 message=disabled)
    expect_error("DisabledException", kms.re_encrypt, CiphertextBlob=blob, DestinationKeyId=key_id, message=disabled)
    # Management still works on a disabled key.
    kms.tag_resource(KeyId=key_id, Tags=[{"TagKey": "state", "TagValue": "off"}])
    kms.update_key_description(KeyId=key_id, Description="off for now")
    kms.enable_key(KeyId=key_arn(key_id))
    meta = kms.describe_key(KeyId=key_id)["KeyMetadata"]
    assert (meta["KeyState"], meta["Enabled"], meta["Description"]) == ("Enabled", True, "off for now")
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"before"
    expect_error("NotFoundException", kms.disable_key, KeyId=str(uuid.uuid4()))


# --- tags -----------------------------------------------------------------------------


def test_tag_untag_and_list_tags_with_pagination(kms):
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.tag_resource(KeyId=key_id, Tags=[{"TagKey": f"k{i:02}", "TagValue": f"v{i}"} for i in range(7)])
    kms.tag_resource(KeyId=key_arn(key_id), Tags=[{"TagKey": "k00", "TagValue": "replaced"}])
    seen, marker, pages = [], None, 0
    while True:
        kwargs = {"KeyId": key_id, "Limit": 3}
        if marker:
            kwargs["Marker"] = marker
        page = kms.list_resource_tags(**kwargs)
        pages += 1
        seen += page["Tags"]
        if not page["Truncated"]:
            assert "NextMarker" not in page
            break
        marker = page["NextMarker"]
    assert pages == 3
    assert seen == [{"TagKey": "k00", "TagValue": "replaced"}] + [
        {"TagKey": f"k{i:02}", "TagValue": f"v{i}"} for i in range(1, 7)]
    kms.untag_resource(KeyId=key_id, TagKeys=["k01", "k02", "never-there"])
    assert [t["TagKey"] for t in kms.list_resource_tags(KeyId=key_id)["Tags"]] == ["k00", "k03", "k04", "k05", "k06"]

    # 5 tags now: 45 more fit, 46 do not.
    expect_error("TagException", kms.tag_resource, KeyId=key_id,
                 Tags=[{"TagKey": f"m{i}", "TagValue": ""} for i in range(46)])
    kms.tag_resource(KeyId=key_id, Tags=[{"TagKey": f"m{i:02}", "TagValue": ""} for i in range(45)])
    assert len(kms.list_resource_tags(KeyId=key_id)["Tags"]) == 50
    expect_error("TagException", kms.tag_resource, KeyId=key_id, Tags=[{"TagKey": "one-more", "TagValue": ""}])
    kms.tag_resource(KeyId=key_id, Tags=[{"TagKey": "k00", "TagValue": "still fits"}])
    expect_error("TagException", kms.tag_resource, KeyId=key_id, Tags=[{"TagKey": "AWS:x", "TagValue": ""}])
    expect_error("ValidationException", kms.tag_resource, KeyId=key_id, Tags=[{"TagKey": "k" * 129, "TagValue": ""}])
    expect_error("ValidationException", kms.list_resource_tags, KeyId=key_id, Limit=51)
    expect_error("NotFoundException", kms.tag_resource, KeyId=str(uuid.uuid4()),
                 Tags=[{"TagKey": "a", "TagValue": "b"}])
    assert len(kms.list_resource_tags(KeyId=key_id)["Tags"]) == 50


# --- scheduled deletion ---------------------------------------------------------------


def test_schedule_and_cancel_key_deletion(kms):
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    alias = unique_alias()
    kms.create_alias(AliasName=alias, TargetKeyId=key_id)
    blob = kms.encrypt(KeyId=key_id, Plaintext=b"x")["CiphertextBlob"]
    for days in (6, 31):
        expect_error("ValidationException", kms.schedule_key_deletion, KeyId=key_id, PendingWindowInDays=days,
                     message=f"PendingWindowInDays should be between 7 and 30, but it is {days}")
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "Enabled"

    before = time.time()
    out = kms.schedule_key_deletion(KeyId=key_id)
    assert (out["KeyId"], out["KeyState"], out["PendingWindowInDays"]) == (key_arn(key_id), "PendingDeletion", 30)
    assert before + 30 * DAY_S - 2 <= out["DeletionDate"].timestamp() <= time.time() + 30 * DAY_S + 2
    meta = kms.describe_key(KeyId=alias)["KeyMetadata"]
    assert (meta["KeyState"], meta["Enabled"], meta["PendingDeletionWindowInDays"]) == ("PendingDeletion", False, 30)
    assert meta["DeletionDate"] == out["DeletionDate"]
    assert key_id in [k["KeyId"] for page in kms.get_paginator("list_keys").paginate() for k in page["Keys"]]

    pending = f"{key_arn(key_id)} is pending deletion."
    for call, kwargs in [
        (kms.encrypt, {"KeyId": alias, "Plaintext": b"x"}),
        (kms.decrypt, {"CiphertextBlob": blob}),
        (kms.generate_data_key, {"KeyId": key_id, "NumberOfBytes": 8}),
        (kms.enable_key, {"KeyId": key_id}),
        (kms.disable_key, {"KeyId": key_id}),
        (kms.enable_key_rotation, {"KeyId": key_id}),
        (kms.schedule_key_deletion, {"KeyId": key_id}),
        (kms.tag_resource, {"KeyId": key_id, "Tags": [{"TagKey": "a", "TagValue": "b"}]}),
        (kms.update_key_description, {"KeyId": key_id, "Description": "late"}),
        (kms.create_alias, {"AliasName": unique_alias(), "TargetKeyId": key_id}),
    ]:
        expect_error("KMSInvalidStateException", call, **kwargs, message=pending)
    # Reading and the policy still work.
    assert kms.get_key_policy(KeyId=key_id)["PolicyName"] == "default"
    assert kms.list_resource_tags(KeyId=key_id)["Tags"] == []

    assert kms.cancel_key_deletion(KeyId=key_id)["KeyId"] == key_arn(key_id)
    meta = kms.describe_key(KeyId=key_id)["KeyMetadata"]
    assert (meta["KeyState"], meta["Enabled"]) == ("Disabled", False)
    assert "DeletionDate" not in meta and "PendingDeletionWindowInDays" not in meta
    expect_error("KMSInvalidStateException", kms.cancel_key_deletion, KeyId=key_id,
                 message=f"{key_arn(key_id)} is not pending deletion.")
    kms.enable_key(KeyId=key_id)
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"x"

    out = kms.schedule_key_deletion(KeyId=key_arn(key_id), PendingWindowInDays=7)
    assert out["PendingWindowInDays"] == 7
    assert abs(out["DeletionDate"].timestamp() - (time.time() + 7 * DAY_S)) < 60
    expect_error("NotFoundException", kms.schedule_key_deletion, KeyId=str(uuid.uuid4()))
    expect_error("NotFoundException", kms.cancel_key_deletion, KeyId=str(uuid.uuid4()))


# --- aliases and descriptions ---------------------------------------------------------


def test_update_and_delete_alias(kms):
    first = kms.create_key()["KeyMetadata"]["KeyId"]
    second = kms.create_key()["KeyMetadata"]["KeyId"]
    alias = unique_alias()
    kms.create_alias(AliasName=alias, TargetKeyId=first)
    created = kms.list_aliases(KeyId=first)["Aliases"][0]
    time.sleep(0.01)
    kms.update_alias(AliasName=alias, TargetKeyId=key_arn(second))
    assert kms.describe_key(KeyId=alias)["KeyMetadata"]["KeyId"] == second
    assert kms.list_aliases(KeyId=first)["Aliases"] == []
    moved = kms.list_aliases(KeyId=second)["Aliases"][0]
    assert (moved["AliasName"], moved["TargetKeyId"]) == (alias, second)
    assert moved["CreationDate"] == created["CreationDate"]
    assert moved["LastUpdatedDate"] > created["LastUpdatedDate"]

    hmac = kms.create_key(KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC")["KeyMetadata"]["KeyId"]
    expect_error("ValidationException", kms.update_alias, AliasName=alias, TargetKeyId=hmac)
    expect_error("ValidationException", kms.update_alias, AliasName=alias, TargetKeyId=alias)
    expect_error("NotFoundException", kms.update_alias, AliasName=alias, TargetKeyId=str(uuid.uuid4()))
    missing = unique_alias()
    expect_error("NotFoundException", kms.update_alias, AliasName=missing, TargetKeyId=first,
                 message=f"Alias {alias_arn(missing)} is not found.")

    kms.delete_alias(AliasName=alias)
    expect_error("NotFoundException", kms.describe_key, KeyId=alias)
    expect_error("NotFoundException", kms.delete_alias, AliasName=alias,
                 message=f"Alias {alias_arn(alias)} is not found.")
    expect_error("ValidationException", kms.delete_alias, AliasName="no-prefix")
    # The key outlives its alias.
    assert kms.describe_key(KeyId=second)["KeyMetadata"]["KeyState"] == "Enabled"


def test_update_key_description(kms):
    key_id = kms.create_key(Description="old")["KeyMetadata"]["KeyId"]
    kms.update_key_description(KeyId=key_arn(key_id), Description="new")
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["Description"] == "new"
    kms.update_key_description(KeyId=key_id, Description="")
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["Description"] == ""
    expect_error("NotFoundException", kms.update_key_description, KeyId=str(uuid.uuid4()), Description="x")


# --- data keys, ReEncrypt, GenerateRandom ---------------------------------------------


def test_generate_data_key_without_plaintext_and_reencrypt(kms):
    source = kms.create_key()["KeyMetadata"]["KeyId"]
    dest = kms.create_key()["KeyMetadata"]["KeyId"]
    dest_alias = unique_alias()
    kms.create_alias(AliasName=dest_alias, TargetKeyId=dest)
    out = kms.generate_data_key_without_plaintext(KeyId=source, KeySpec="AES_128", EncryptionContext={"a": "1"})
    assert "Plaintext" not in out
    assert out["KeyId"] == key_arn(source)
    data_key = kms.decrypt(CiphertextBlob=out["CiphertextBlob"], EncryptionContext={"a": "1"})["Plaintext"]
    assert len(data_key) == 16
    expect_error("ValidationException", kms.generate_data_key_without_plaintext, KeyId=source)

    re = kms.re_encrypt(CiphertextBlob=out["CiphertextBlob"], SourceEncryptionContext={"a": "1"},
                        DestinationKeyId=dest_alias, DestinationEncryptionContext={"b": "2"})
    assert (re["SourceKeyId"], re["KeyId"]) == (key_arn(source), key_arn(dest))
    assert (re["SourceEncryptionAlgorithm"], re["DestinationEncryptionAlgorithm"]) == ("SYMMETRIC_DEFAULT",
                                                                                      "SYMMETRIC_DEFAULT")
    back = kms.decrypt(CiphertextBlob=re["CiphertextBlob"], EncryptionContext={"b": "2"})
    assert (back["Plaintext"], back["KeyId"]) == (data_key, key_arn(dest))
    expect_error("InvalidCiphertextException", kms.re_encrypt, CiphertextBlob=out["CiphertextBlob"],
                 DestinationKeyId=dest)
    expect_error("IncorrectKeyException", kms.re_encrypt, CiphertextBlob=out["CiphertextBlob"],
                 SourceEncryptionContext={"a": "1"}, SourceKeyId=dest, DestinationKeyId=dest)
    expect_error("DryRunOperationException", kms.encrypt, KeyId=source, Plaintext=b"x", DryRun=True)


def test_generate_random(kms, raw_kms):
    for n in (1, 32, 1024):
        assert len(kms.generate_random(NumberOfBytes=n)["Plaintext"]) == n
    assert kms.generate_random(NumberOfBytes=32)["Plaintext"] != kms.generate_random(NumberOfBytes=32)["Plaintext"]
    for n in (0, 1025):
        expect_error("ValidationException", raw_kms.generate_random, NumberOfBytes=n)
    expect_error("ValidationException", raw_kms.generate_random)


# --- naming keys ----------------------------------------------------------------------


def test_every_key_name_form_where_aws_takes_it(kms):
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    alias = unique_alias()
    kms.create_alias(AliasName=alias, TargetKeyId=key_id)
    for name in (key_id, key_arn(key_id), alias, alias_arn(alias)):
        assert kms.describe_key(KeyId=name)["KeyMetadata"]["KeyId"] == key_id
        blob = kms.encrypt(KeyId=name, Plaintext=b"n")["CiphertextBlob"]
        assert kms.decrypt(CiphertextBlob=blob, KeyId=name)["Plaintext"] == b"n"
        assert kms.generate_data_key(KeyId=name, KeySpec="AES_256")["KeyId"] == key_arn(key_id)
        assert kms.generate_data_key_without_plaintext(KeyId=name, NumberOfBytes=8)["KeyId"] == key_arn(key_id)
    # The management operations take a key id or key ARN only.
    for name in (alias, alias_arn(alias)):
        for call in (kms.get_key_policy, kms.list_key_policies, kms.get_key_rotation_status, kms.enable_key_rotation,
                     kms.disable_key, kms.enable_key, kms.list_resource_tags, kms.schedule_key_deletion):
            expect_error("NotFoundException", call, KeyId=name, message=f"Invalid keyId {name}")
    expect_error("NotFoundException", kms.describe_key, KeyId="arn:aws:kms:eu-west-1:111111111111:key/" + key_id)
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "Enabled"


# --- restart survival and migration ---------------------------------------------------


def test_lifecycle_state_survives_a_restart(start_kinesd, tmp_path):
    data_dir = tmp_path / "kms-lifecycle"
    server = start_kinesd(data_dir=data_dir)
    kms = kms_client(server.endpoint)
    rotating = kms.create_key(Description="rotating", Policy=CUSTOM_POLICY,
                              Tags=[{"TagKey": "t", "TagValue": "1"}])["KeyMetadata"]["KeyId"]
    kms.enable_key_rotation(KeyId=rotating, RotationPeriodInDays=180)
    next_rotation = kms.get_key_rotation_status(KeyId=rotating)["NextRotationDate"]
    disabled = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.disable_key(KeyId=disabled)
    doomed = kms.create_key()["KeyMetadata"]["KeyId"]
    deletion = kms.schedule_key_deletion(KeyId=doomed, PendingWindowInDays=9)["DeletionDate"]
    hmac = kms.create_key(KeySpec="HMAC_224", KeyUsage="GENERATE_VERIFY_MAC")["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName="alias/moved", TargetKeyId=disabled)
    kms.update_alias(AliasName="alias/moved", TargetKeyId=rotating)
    kms.create_alias(AliasName="alias/gone", TargetKeyId=rotating)
    kms.delete_alias(AliasName="alias/gone")
    kms.update_key_description(KeyId=disabled, Description="described later")
    managed = kms.describe_key(KeyId="alias/aws/kinesis")["KeyMetadata"]["KeyId"]
    aliases_before = kms.list_aliases()["Aliases"]
    assert server.stop() == 0

    kms = kms_client(start_kinesd(data_dir=data_dir).endpoint)
    meta = kms.describe_key(KeyId=rotating)["KeyMetadata"]
    assert (meta["Description"], meta["KeyState"]) == ("rotating", "Enabled")
    assert kms.get_key_policy(KeyId=rotating)["Policy"] == CUSTOM_POLICY
    assert kms.list_resource_tags(KeyId=rotating)["Tags"] == [{"TagKey": "t", "TagValue": "1"}]
    status = kms.get_key_rotation_status(KeyId=rotating)
    assert (status["KeyRotationEnabled"], status["RotationPeriodInDays"]) == (True, 180)
    assert status["NextRotationDate"] == next_rotation
    meta = kms.describe_key(KeyId=disabled)["KeyMetadata"]
    assert (meta["KeyState"], meta["Enabled"], meta["Description"]) == ("Disabled", False, "described later")
    meta = kms.describe_key(KeyId=doomed)["KeyMetadata"]
    assert (meta["KeyState"], meta["DeletionDate"], meta["PendingDeletionWindowInDays"]) == (
        "PendingDeletion", deletion, 9)
    expect_error("KMSInvalidStateException", kms.encrypt, KeyId=doomed, Plaintext=b"x")
    meta = kms.describe_key(KeyId=hmac)["KeyMetadata"]
    assert (meta["KeySpec"], meta["KeyUsage"], meta["MacAlgorithms"]) == ("HMAC_224", "GENERATE_VERIFY_MAC",
                                                                          ["HMAC_SHA_224"])
    assert kms.describe_key(KeyId="alias/moved")["KeyMetadata"]["KeyId"] == rotating
    expect_error("NotFoundException", kms.describe_key, KeyId="alias/gone")
    assert kms.describe_key(KeyId="alias/aws/kinesis")["KeyMetadata"]["KeyId"] == managed
    assert kms.list_aliases()["Aliases"] == aliases_before


# The columns the previous version's kms.db had; everything else is newer.
PREVIOUS_KEY_COLUMNS = "key_id, description, created, aws_managed, material"
PREVIOUS_ALIAS_COLUMNS = "name, target, created"


def rewrite_as_previous_schema(db_path):
    """Rebuilds kms.db with only the tables and columns of the previous version."""
    conn = sqlite3.connect(db_path)
    try:
        conn.executescript(f"""
            BEGIN;
            CREATE TABLE keys_old (key_id TEXT PRIMARY KEY, description TEXT NOT NULL, created REAL NOT NULL,
                                   aws_managed INTEGER NOT NULL, material BLOB NOT NULL);
            INSERT INTO keys_old SELECT {PREVIOUS_KEY_COLUMNS} FROM keys;
            DROP TABLE keys;
            ALTER TABLE keys_old RENAME TO keys;
            CREATE TABLE aliases_old (name TEXT PRIMARY KEY, target TEXT NOT NULL REFERENCES keys(key_id),
                                      created REAL NOT NULL);
            INSERT INTO aliases_old SELECT {PREVIOUS_ALIAS_COLUMNS} FROM aliases;
            DROP TABLE aliases;
            ALTER TABLE aliases_old RENAME TO aliases;
            DROP TABLE key_tags;
            COMMIT;
        """)
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()


def test_a_data_dir_from_the_previous_version_still_opens(start_kinesd, tmp_path):
    data_dir = tmp_path / "kms-previous"
    server = start_kinesd(data_dir=data_dir)
    kms = kms_client(server.endpoint)
    key_id = kms.create_key(Description="from before")["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName="alias/before", TargetKeyId=key_id)
    blob = kms.encrypt(KeyId="alias/before", Plaintext=b"old data")["CiphertextBlob"]
    managed = kms.describe_key(KeyId="alias/aws/kinesis")["KeyMetadata"]["KeyId"]
    assert server.stop() == 0
    rewrite_as_previous_schema(data_dir / "kms.db")
    conn = sqlite3.connect(data_dir / "kms.db")
    assert [r[1] for r in conn.execute("PRAGMA table_info(keys)")] == PREVIOUS_KEY_COLUMNS.split(", ")
    conn.close()

    kms = kms_client(start_kinesd(data_dir=data_dir).endpoint)
    meta = kms.describe_key(KeyId="alias/before")["KeyMetadata"]
    assert (meta["KeyId"], meta["Description"], meta["KeyState"], meta["KeySpec"]) == (
        key_id, "from before", "Enabled", "SYMMETRIC_DEFAULT")
    assert set(meta) == SYMMETRIC_METADATA_FIELDS
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"old data"
    assert json.loads(kms.get_key_policy(KeyId=key_id)["Policy"]) == default_policy()
    assert kms.get_key_rotation_status(KeyId=key_id)["KeyRotationEnabled"] is False
    assert kms.get_key_rotation_status(KeyId=managed)["KeyRotationEnabled"] is True
    assert kms.describe_key(KeyId="alias/aws/kinesis")["KeyMetadata"]["KeyManager"] == "AWS"
    aliases = {a["AliasName"]: a for a in kms.list_aliases()["Aliases"]}
    assert aliases["alias/before"]["LastUpdatedDate"] == aliases["alias/before"]["CreationDate"]
    kms.tag_resource(KeyId=key_id, Tags=[{"TagKey": "new", "TagValue": "feature"}])
    kms.enable_key_rotation(KeyId=key_id)
    kms.disable_key(KeyId=key_id)
    assert kms.list_resource_tags(KeyId=key_id)["Tags"] == [{"TagKey": "new", "TagValue": "feature"}]
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "Disabled"
