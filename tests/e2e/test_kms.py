"""KMS over awsJson 1.1 (TrentService) with boto3: keys, aliases, the
AWS-managed alias/aws/kinesis, Encrypt/Decrypt, GenerateDataKey, errors and
durability across a restart."""
import os
import stat
import uuid

import boto3
import botocore.config
import pytest
from botocore.exceptions import ClientError

from e2e_util import ACCESS_KEY, REGION, SECRET_KEY

ACCOUNT = "123456789012"


def kms_client(endpoint):
    return boto3.client("kms", endpoint_url=endpoint, region_name=REGION, aws_access_key_id=ACCESS_KEY,
                        aws_secret_access_key=SECRET_KEY,
                        config=botocore.config.Config(retries={"total_max_attempts": 1, "mode": "standard"}))


@pytest.fixture(scope="module")
def kms(endpoint):
    return kms_client(endpoint)


def error_code(info):
    return info.value.response["Error"]["Code"]


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
    assert "alias/aws/kinesis" not in [a["AliasName"] for a in kms.list_aliases()["Aliases"]]
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
