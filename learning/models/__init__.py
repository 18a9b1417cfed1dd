"""Models of the learning app, one module per part of the domain."""

from .bookings import Booking, ContinuingEducationActivity, CourseDate
from .certifications import Certification, CertificationQuerySet
from .courses import (
    ContinuingEducationIndexPage,
    ContinuingEducationOfferPage,
    CourseIndexPage,
    CoursePage,
    CoursePrerequisite,
)
from .materials import (
    CaseStudyPage,
    GuidelineNotification,
    GuidelineUpdatePage,
    LibraryIndexPage,
    ManualPage,
    MaterialDocument,
    MaterialPage,
    PublicCollection,
    ResourcePage,
)
from .users import PortalUserManager, User

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
    "GuidelineNotification",
    "GuidelineUpdatePage",
    "LibraryIndexPage",
    "ManualPage",
    "MaterialDocument",
    "MaterialPage",
    "PortalUserManager",
    "PublicCollection",
    "ResourcePage",
    "User",
]
