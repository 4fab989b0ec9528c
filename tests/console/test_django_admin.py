from django.contrib.auth import get_user_model
from django.test import Client


def test_it_lets_a_superuser_into_django_admin(root_superuser):
    assert root_superuser.get("/admin/").status_code == 200


def test_it_keeps_staff_who_are_not_superusers_out(transactional_db):
    staff = get_user_model().objects.create_user(username="stan", password="pw", is_staff=True)
    client = Client()
    client.force_login(staff)
    r = client.get("/admin/")
    assert r.status_code == 302 and "/admin/login/" in r["Location"]


def test_it_keeps_workspace_admins_out(alice_admin):
    assert alice_admin.get("/admin/").status_code == 302
