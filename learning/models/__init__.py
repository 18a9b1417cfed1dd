"""Models of the learning app, one module per part of the domain."""

from .courses import CourseIndexPage, CoursePage, CoursePrerequisite
from .users import PortalUserManager, User

__all__ = ["CourseIndexPage", "CoursePage", "CoursePrerequisite", "PortalUserManager", "User"]
