"""Message templates of the monitoring: the order told to the person (SMS with the link of their phone page),
an alert told to the commune station (SMS and e-mail) and the digest of what a periodic job raised.
SMS are ASCII; all are sensitive (health data): the context is not kept and the body is removed after sending."""

from django.db import migrations

KIND_VI_MAIL = ("{% if kind == 'violation' %}Rời nơi cách ly{% elif kind == 'symptoms' %}Triệu chứng nặng"
                "{% elif kind == 'silent' %}Mất tín hiệu vị trí{% elif kind == 'missed_report' %}Chưa khai báo y tế"
                "{% else %}Đến hạn xét nghiệm{% endif %}")
KIND_EN_MAIL = ("{% if kind == 'violation' %}Left the place of quarantine{% elif kind == 'symptoms' %}Alarming symptoms"
                "{% elif kind == 'silent' %}No location for too long{% elif kind == 'missed_report' %}Missed daily check-in"
                "{% else %}Test due{% endif %}")

TEMPLATES = [  # (code, channel, language, subject, body, description)
    ("quarantine.order_notice", "sms", "vi", "",
     "La Chan: QD {{ what_vi }} {{ code }} tu {{ starts }} den het {{ ends }}. Khai bao suc khoe hang ngay: {{ url }}",
     "Quarantine order told to the person"),
    ("quarantine.order_notice", "sms", "en", "",
     "La Chan: {{ what_en }} order {{ code }} from {{ starts }} to {{ ends }}. Report your health daily: {{ url }}",
     "Quarantine order told to the person"),
    ("quarantine.alert", "sms", "vi", "",
     "La Chan: {{ sms_vi }}: {{ name }} ({{ code }}), DT {{ phone }}{% if detail %}, {{ detail }}{% endif %} "
     "luc {{ when }}. {{ url }}",
     "Quarantine alert to the commune station"),
    ("quarantine.alert", "sms", "en", "",
     "La Chan: {{ sms_en }}: {{ name }} ({{ code }}), tel {{ phone }}{% if detail %}, {{ detail }}{% endif %} "
     "at {{ when }}. {{ url }}",
     "Quarantine alert to the commune station"),
    ("quarantine.alert", "email", "vi", "[Lá Chắn] Cảnh báo cách ly {{ code }}: {{ kind_vi }}",
     KIND_VI_MAIL + " lúc {{ when }}.\n\nNgười: {{ full_name }}\nQuyết định: {{ code }}\nĐiện thoại: {{ phone }}\n"
     "Địa chỉ: {{ address }}\n{% if detail %}Chi tiết: {{ detail }}\n{% endif %}\nHàng đợi cảnh báo: {{ url }}",
     "Quarantine alert to the commune station"),
    ("quarantine.alert", "email", "en", "[La Chan] Quarantine alert {{ code }}: {{ kind_en }}",
     KIND_EN_MAIL + " at {{ when }}.\n\nPerson: {{ full_name }}\nOrder: {{ code }}\nPhone: {{ phone }}\n"
     "Address: {{ address }}\n{% if detail %}Detail: {{ detail }}\n{% endif %}\nAlert queue: {{ url }}",
     "Quarantine alert to the commune station"),
    ("quarantine.alert_digest", "sms", "vi", "",
     "La Chan {{ day }}: {{ sms_vi }}. Xem {{ url }}",
     "What a monitoring job raised, per commune"),
    ("quarantine.alert_digest", "sms", "en", "",
     "La Chan {{ day }}: {{ sms_en }}. See {{ url }}",
     "What a monitoring job raised, per commune"),
    ("quarantine.alert_digest", "email", "vi", "[Lá Chắn] Cảnh báo cách ly ngày {{ day }}",
     "{% if missed_report %}{{ missed_report }} người chưa khai báo y tế hôm nay.\n{% endif %}"
     "{% if test_due %}{{ test_due }} người đến hạn xét nghiệm.\n{% endif %}"
     "{% if silent %}{{ silent }} người mất tín hiệu vị trí.\n{% endif %}\nHàng đợi cảnh báo: {{ url }}",
     "What a monitoring job raised, per commune"),
    ("quarantine.alert_digest", "email", "en", "[La Chan] Quarantine alerts of {{ day }}",
     "{% if missed_report %}{{ missed_report }} people did not check in today.\n{% endif %}"
     "{% if test_due %}{{ test_due }} people are due for a test.\n{% endif %}"
     "{% if silent %}{{ silent }} people sent no location for too long.\n{% endif %}\nAlert queue: {{ url }}",
     "What a monitoring job raised, per commune"),
]


def seed(apps, schema_editor):
    MessageTemplate = apps.get_model("notifications", "MessageTemplate")
    for _code, _channel, _language, subject, _body, _description in TEMPLATES:
        assert len(subject) <= 200, subject
    for code, channel, language, subject, body, description in TEMPLATES:
        MessageTemplate.objects.update_or_create(code=code, channel=channel, language=language, version=1, defaults={
            "subject": subject, "body": body, "sensitive": True, "description": description, "active": True})


def unseed(apps, schema_editor):
    apps.get_model("notifications", "MessageTemplate").objects.filter(
        code__in={t[0] for t in TEMPLATES}, version=1).delete()


class Migration(migrations.Migration):
    dependencies = [("quarantine", "0002_seed_policies"), ("notifications", "0002_seed_templates")]
    operations = [migrations.RunPython(seed, unseed)]
