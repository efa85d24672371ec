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


def test_every_response_carries_the_content_security_policy(client, staff):
    for response in (client.get("/accounts/login/"), client.get("/api/people/"), client.get("/no-such-page/")):
        policy = response["Content-Security-Policy"]
        assert "default-src 'self'" in policy and "script-src 'self';" in policy
        assert "unsafe-inline" not in policy.split("script-src", 1)[1].split(";", 1)[0]
        assert "frame-ancestors 'none'" in policy
    client.force_login(staff.province)
    assert "script-src 'self'" in client.get("/")["Content-Security-Policy"]


def test_the_map_tile_server_may_serve_images():
    from lachan.settings import content_security_policy

    policy = content_security_policy("https://{s}.tiles.example.gov.vn/{z}/{x}/{y}.png")
    assert "img-src 'self' data: blob: https://*.tiles.example.gov.vn;" in policy
    assert "img-src 'self' data: blob:;" in content_security_policy("")


def test_no_template_has_an_inline_script_or_handler():
    """The policy refuses them: behaviour goes in a static file (web/app.js has data- attributes for the usual)."""
    import re
    from pathlib import Path

    import lachan

    offenders = []
    for path in Path(lachan.__file__).parent.rglob("templates/**/*.html"):
        text = path.read_text()
        for match in re.finditer(r"<script\b[^>]*>|\son[a-z]+\s*=|javascript:", text):
            tag = match.group(0)
            if tag.startswith("<script") and ("src=" in tag or "application/json" in tag):
                continue
            offenders.append(f"{path.name}: {tag.strip()}")
    assert not offenders, offenders
