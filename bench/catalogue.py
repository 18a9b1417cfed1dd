"""The catalogue the benchmarks start from: ALS1 and ALS2 (or the courses named), each valid for 24 months, under
the home page."""


def make_courses(codes=("ALS1", "ALS2")) -> list:
    """Creates the catalogue and its two courses in the database Django is set up with; returns the courses."""
    from home.models import HomePage
    from learning.models import CourseIndexPage, CoursePage

    catalogue = CourseIndexPage(title="Courses", slug="courses")
    HomePage.objects.get().add_child(instance=catalogue)
    courses = []
    for code in codes:
        course = CoursePage(title=code, slug=code.lower(), code=code, validity_months=24)
        catalogue.add_child(instance=course)
        courses.append(course)
    return courses
