"""Every model of the learning app, imported from its domain package so that Django finds them here."""

from learning.accounts.models import PortalUserManager, User
from learning.bookings.models import Booking, CourseDate
from learning.catalogue.models import (
    ContinuingEducationIndexPage,
    ContinuingEducationOfferPage,
    CourseIndexPage,
    CoursePage,
    CoursePrerequisite,
)
from learning.common.models import PortalSettings
from learning.continuing_education.models import ContinuingEducationActivity
from learning.materials.models import (
    CaseStudyPage,
    GuidelineAnnouncement,
    GuidelineNotification,
    GuidelineUpdatePage,
    LibraryIndexPage,
    ManualPage,
    MaterialDocument,
    MaterialPage,
    MaterialReading,
    PublicCollection,
    ResourcePage,
)
from learning.organisations.models import (
    GroupBooking,
    GroupBookingPlace,
    ManagerRole,
    Membership,
    Organisation,
    RequiredCourse,
)
from learning.register.models import (
    Certification,
    CertificationQuerySet,
    ImportRun,
    RejectedImportRow,
)

__all__ = [
    "Booking",
    "CaseStudyPage",
    "Certification",
    "CertificationQuerySet",
    "ContinuingEducationActivity",
    "ContinuingEducationIndexPage",
    "ContinuingEducationOfferPage",
    "CourseDate",
    "CourseIndexPage",
    "CoursePage",
    "CoursePrerequisite",
    "GroupBooking",
    "GroupBookingPlace",
    "GuidelineAnnouncement",
    "GuidelineNotification",
    "GuidelineUpdatePage",
    "ImportRun",
    "LibraryIndexPage",
    "ManagerRole",
    "ManualPage",
    "MaterialDocument",
    "MaterialPage",
    "MaterialReading",
    "Membership",
    "Organisation",
    "PortalSettings",
    "PortalUserManager",
    "PublicCollection",
    "RejectedImportRow",
    "RequiredCourse",
    "ResourcePage",
    "User",
]
