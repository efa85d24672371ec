"""One require_perm, bound per domain: the system may everything, a person what their role allows, nobody else
anything; the refusal carries the domain's code."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils.translation import gettext_lazy

from lachan.accounts.actors import PUBLIC, permission_check, system_actor
from lachan.accounts.roles import Perm
from lachan.core.errors import PermissionDenied

require_perm = permission_check("labs_permission")


def test_the_system_and_a_permitted_person_pass(staff):
    require_perm(system_actor("test"), Perm.PEOPLE_EDIT)
    require_perm(staff.commune, Perm.PEOPLE_VIEW)


@pytest.mark.parametrize("who", [None, AnonymousUser(), PUBLIC])
def test_nobody_passes(who):
    with pytest.raises(PermissionDenied) as refused:
        require_perm(who, Perm.PEOPLE_VIEW)
    assert refused.value.as_dict() == {"code": "labs_permission", "message": "You do not have permission to do this."}


def test_a_person_without_the_permission_is_refused_with_the_domain_code(staff):
    staff.commune.is_active = False
    with pytest.raises(PermissionDenied, match="permission") as refused:
        require_perm(staff.commune, Perm.PEOPLE_VIEW)
    assert refused.value.code == "labs_permission"
    custom = permission_check("geo_permission", gettext_lazy("Only the province edits units."))
    with pytest.raises(PermissionDenied, match="Only the province"):
        custom(staff.district, "geo.edit")
