def test_create_and_get_member(client, tenant):
    created = client.post("/api/v1/members", json={"external_id": "u1"}, headers=tenant.headers)
    assert created.status_code == 201, created.json
    got = client.get(f"/api/v1/members/{created.json['id']}", headers=tenant.headers)
    assert got.json["external_id"] == "u1"
