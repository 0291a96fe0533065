"""Rotating the personal-data key: old rows stay readable, then move to the new key."""

import base64
import os
from dataclasses import replace

from sqlalchemy import text

from jifen.keyring import Keyring


def key() -> str:
    return base64.urlsafe_b64encode(os.urandom(32)).decode()


def test_reencrypt_moves_every_member_to_the_new_key(app, svc, client, tenant):
    old = f"old:{key()}"
    svc.keyring = Keyring.from_settings(replace(svc.settings, encryption_keys=old))
    for i in range(7):
        body = {"external_id": f"m{i}", "phone": f"1380013800{i}", "email": f"m{i}@x.test"}
        assert client.post("/api/v1/members", json=body, headers=tenant.headers).status_code == 201

    svc.keyring = Keyring.from_settings(replace(svc.settings, encryption_keys=f"new:{key()},{old}"))
    # Before re-encryption, old rows still read and look up.
    found = client.get("/api/v1/members?phone=138-0013-8003", headers=tenant.headers).json
    assert [m["email"] for m in found["items"]] == ["m3@x.test"]

    result = app.test_cli_runner().invoke(args=["jifen", "reencrypt", "--batch", "3"])
    assert result.exit_code == 0, result.output
    assert "re-encrypted 7 members under key new" in result.output

    with svc.db.session(tenant_id=tenant.tenant_id) as session:
        tokens = session.execute(text("SELECT phone_encrypted, email_encrypted FROM members")).all()
    assert len(tokens) == 7
    assert tokens and all(t.startswith("new.") for row in tokens for t in row)

    # The old key can now go.
    new_only = base64.urlsafe_b64encode(svc.keyring.encryption_keys[0][1]).decode()
    svc.keyring = Keyring.from_settings(replace(svc.settings, encryption_keys=f"new:{new_only}"))
    page = client.get("/api/v1/members?limit=200", headers=tenant.headers).json
    assert sorted(m["phone"] for m in page["items"]) == [f"1380013800{i}" for i in range(7)]
    again = app.test_cli_runner().invoke(args=["jifen", "reencrypt"])
    assert "re-encrypted 0 members" in again.output
