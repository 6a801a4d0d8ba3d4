"""Staff pages under /staff/: one module per area, collected here."""

from __future__ import annotations

from litestar.types import ControllerRouterHandler

from programmes.web.staff import (
    accounts,
    attendance,
    audit,
    catalogue,
    messages,
    org_closures,
    people_lists,
    printables,
    privacy,
    registrations,
    reports,
    schedules,
    search,
)
from programmes.web.staff.closures import StaffClosureController
from programmes.web.staff.home import StaffHomeController
from programmes.web.staff.sign_in import StaffAuthController

CONTROLLERS: list[ControllerRouterHandler] = [
    StaffAuthController,
    StaffHomeController,
    catalogue.KitaPages,
    catalogue.ProgrammePages,
    catalogue.CohortPages,
    schedules.SchedulePages,
    schedules.SessionPages,
    attendance.AttendancePages,
    registrations.RegistrationPages,
    registrations.FamilyPages,
    search.SearchPages,
    messages.MessagePages,
    StaffClosureController,
    org_closures.OrgClosurePages,
    schedules.CalendarPausePages,
    reports.ReportPages,
    printables.PrintablePages,
    people_lists.PeopleListPages,
    privacy.PrivacyPages,
    privacy.ErasureRequestPages,
    privacy.FamilyConsentPages,
    audit.AuditPages,
    accounts.AccountPages,
    accounts.PasswordPages,
]
