"""Default templates. SMS texts are short and without diacritics (GSM-7, 160 characters per SMS)."""

from django.db import migrations

GREETING_VI = "{% if name %}Kính gửi {{ name }},{% else %}Kính gửi Quý vị,{% endif %}"
GREETING_EN = "{% if name %}Dear {{ name }},{% else %}Dear Sir or Madam,{% endif %}"
SIGNATURE_VI = "\n\n— Lá Chắn, hệ thống phòng chống dịch của tỉnh"
SIGNATURE_EN = "\n\n— Lá Chắn, the provincial epidemic operations platform"

TEMPLATES = [
    # code, channel, language, subject, body, sensitive, description
    ("test.hello", "sms", "vi", "", "La Chan: tin nhan thu. Xin chao {{ name }}!", False, "Test message"),
    ("test.hello", "sms", "en", "", "La Chan: test message. Hello {{ name }}!", False, "Test message"),
    ("test.hello", "email", "vi", "Lá Chắn: thư thử",
     "Xin chào {{ name }},\n\nĐây là thư thử của Lá Chắn. Nếu bạn nhận được thư này, kênh thư điện tử đang hoạt động."
     + SIGNATURE_VI, False, "Test message"),
    ("test.hello", "email", "en", "Lá Chắn: test message",
     "Hello {{ name }},\n\nThis is a test message from Lá Chắn. If you received it, the e-mail channel works."
     + SIGNATURE_EN, False, "Test message"),
    ("account.otp", "sms", "vi", "",
     "La Chan: ma xac thuc cua ban la {{ code }}, hieu luc {{ minutes }} phut. Khong cung cap ma nay cho bat ky ai.",
     True, "Citizen phone verification code"),
    ("account.otp", "sms", "en", "",
     "La Chan: your verification code is {{ code }}, valid for {{ minutes }} minutes. Never share it with anyone.",
     True, "Citizen phone verification code"),
    ("account.otp", "email", "vi", "Lá Chắn: mã xác thực {{ code }}",
     "Mã xác thực của bạn là {{ code }}, có hiệu lực trong {{ minutes }} phút.\n"
     "Không cung cấp mã này cho bất kỳ ai, kể cả cán bộ y tế." + SIGNATURE_VI, True, "Verification code"),
    ("account.otp", "email", "en", "Lá Chắn: verification code {{ code }}",
     "Your verification code is {{ code }}, valid for {{ minutes }} minutes.\n"
     "Never share it with anyone, health staff included." + SIGNATURE_EN, True, "Verification code"),
    ("person.generic", "sms", "vi", "", "La Chan: {{ text }}", False, "Free text to a person"),
    ("person.generic", "sms", "en", "", "La Chan: {{ text }}", False, "Free text to a person"),
    ("person.generic", "email", "vi", "Lá Chắn: {% if subject %}{{ subject }}{% else %}thông báo{% endif %}",
     GREETING_VI + "\n\n{{ text }}" + SIGNATURE_VI, False, "Free text to a person"),
    ("person.generic", "email", "en", "Lá Chắn: {% if subject %}{{ subject }}{% else %}notice{% endif %}",
     GREETING_EN + "\n\n{{ text }}" + SIGNATURE_EN, False, "Free text to a person"),
]


def seed(apps, schema_editor):
    MessageTemplate = apps.get_model("notifications", "MessageTemplate")
    for code, channel, language, subject, body, sensitive, description in TEMPLATES:
        MessageTemplate.objects.update_or_create(
            code=code, channel=channel, language=language, version=1,
            defaults={"subject": subject, "body": body, "sensitive": sensitive, "description": description,
                      "active": True},
        )


def unseed(apps, schema_editor):
    MessageTemplate = apps.get_model("notifications", "MessageTemplate")
    codes = {row[0] for row in TEMPLATES}
    MessageTemplate.objects.filter(code__in=codes, version=1).delete()


class Migration(migrations.Migration):
    dependencies = [("notifications", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
