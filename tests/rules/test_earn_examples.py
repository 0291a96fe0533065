"""Common merchants' rules as worked examples, through the API on both databases."""

from .api import balance, member, purchase, rule


def test_one_point_per_yuan(client, tenant):
    alice = member(client, tenant, "alice")
    rule(client, tenant, "spend", {"rate": "1"})
    result = purchase(client, tenant, alice, 12_850)
    assert result["points"] == 128
    assert result["status"] == "posted"
    assert [a["reason"] for a in result["awards"]] == ["1 point per 1.00 CNY on 128.50 CNY"]
    assert balance(client, tenant, alice) == 128
