"""Models of the learning app, one module per part of the domain."""

from .certifications import Certification, CertificationQuerySet
from .courses import CourseIndexPage, CoursePage, CoursePrerequisite
from .users import PortalUserManager, User

__all__ = [
    "Certification",
    "CertificationQuerySet",
    "CourseIndexPage",
    "CoursePage",
    "CoursePrerequisite",
    "PortalUserManager",
    "User",
]
