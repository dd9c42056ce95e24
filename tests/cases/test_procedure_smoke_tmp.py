import pytest
from tests.cases.factories_procedure import make_case, walk_to

@pytest.mark.django_db
def test_smoke(personas, master):
    c = make_case(master["ws"], personas["ws.relawan"])
    walk_to(c, "closed", personas)
    assert c.status == "closed"
    cl = personas.client("ws.koordinator")
    r = cl.get(f"/cases/{c.pk}/procedure/")
    assert r.status_code == 200, r.content[:3000]
    r = cl.get("/cases/procedure/")
    assert r.status_code == 200
    r = cl.get("/cases/procedure/pdf/")
    assert r.status_code == 200
    open("/tmp/annex.pdf","wb").write(r.content)
    assert cl.get("/cases/tasks/").status_code == 200
    assert cl.get("/cases/dashboard/").status_code == 200
    assert cl.get("/home/").status_code == 200
