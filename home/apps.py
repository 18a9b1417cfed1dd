from django.apps import AppConfig
from django.db.models.signals import post_migrate


class HomeConfig(AppConfig):
    name = "home"
    verbose_name = "Home"

    def ready(self):
        from home.site import align_after_migrate

        post_migrate.connect(align_after_migrate, sender=self, dispatch_uid="home.align_default_site")
