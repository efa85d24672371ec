from __future__ import annotations

from django.utils.translation import gettext as _

from .base import CLOSE, Evidence, Window


class InterviewSource:
    """Contacts named in an investigator's interview of the case: close by the investigator's judgement."""

    name = "interview"

    def exposures(self, *, person, start, end, policy):
        return self.exposures_many(windows=[Window(person, start, end)], policy=policy)

    def exposures_many(self, *, windows: list[Window], policy):
        from ..models import InterviewContact

        subjects = {w.person_id: w for w in windows}
        found = []
        rows = InterviewContact.objects.filter(case__person_id__in=list(subjects)).values_list(
            "pk", "case__person_id", "person_id", "relationship", "last_contact_at", "minutes", "masked")
        for pk, subject, other, relationship, last_at, minutes, masked in rows:
            window = subjects[subject]
            if other == subject or not (window.start <= last_at <= window.end):
                continue
            text = _("interview: %(relationship)s") % {"relationship": relationship}
            if masked:
                text += " · " + _("masked")
            found.append(Evidence(person_id=other, source=self.name, grade=CLOSE, start=last_at, minutes=minutes,
                                  ref=str(pk), text=text[:300], subject_id=subject))
        return found
