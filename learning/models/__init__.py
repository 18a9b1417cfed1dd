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
from .users import PortalUserManager, User

__all__ = [
    "Booking",
    "Certification",
    "CertificationQuerySet",
    "ContinuingEducationActivity",
    "ContinuingEducationIndexPage",
    "ContinuingEducationOfferPage",
    "CourseDate",
    "CourseIndexPage",
    "CoursePage",
    "CoursePrerequisite",
    "PortalUserManager",
    "User",
]
