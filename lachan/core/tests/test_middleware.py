def test_nul_characters_are_refused_before_the_database(client, staff):
    client.force_login(staff.province)
    api = client.get("/api/people/", {"query": "an\x00"})
    assert api.status_code == 400 and api.json()["code"] == "invalid"
    assert client.get("/people/", {"q": "an\x00"}).status_code == 400
    body = client.post("/api/people/", '{"full_name": "A\\u0000"}', content_type="application/json")
    assert body.status_code == 400
    form = client.post("/people/new/", "full_name=A%00B", content_type="application/x-www-form-urlencoded")
    assert form.status_code == 400
    assert client.get("/api/people/", {"query": "an"}).status_code == 200
