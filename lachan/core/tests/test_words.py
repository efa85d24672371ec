"""Words that English writes alike but Vietnamese does not."""

from django.utils import translation

from lachan.accounts.forms import CodeForm


def test_a_code_column_is_not_a_verification_code():
    with translation.override("vi"):
        assert translation.gettext("Code") == "Mã"
        assert str(CodeForm().fields["code"].label) == "Mã xác thực"
