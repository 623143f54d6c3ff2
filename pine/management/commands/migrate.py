"""``migrate`` as the owner role (``MIGRATE_DATABASE_URL``), then the runtime role's grants.

Without ``MIGRATE_DATABASE_URL`` (a development database with one role) it is Django's migrate."""

from django.conf import settings
from django.core.management.commands.migrate import Command as DjangoMigrate
from django.db import connections

from pine.database_roles import grant_runtime

OWNER_KEYS = ("NAME", "USER", "PASSWORD", "HOST", "PORT", "OPTIONS")


class Command(DjangoMigrate):
    help = DjangoMigrate.help + " Connects as MIGRATE_DATABASE_URL's owner role when it is set."

    def handle(self, *args, **options):
        owner = getattr(settings, "MIGRATE_DATABASE", None)
        connection = connections[options["database"]]
        runtime_role = connection.settings_dict["USER"]
        if not owner or owner["USER"] == runtime_role:
            return super().handle(*args, **options)
        connection.close()
        runtime = {key: connection.settings_dict[key] for key in OWNER_KEYS}
        connection.settings_dict.update({key: owner[key] for key in OWNER_KEYS})
        try:
            super().handle(*args, **options)
            grant_runtime(connection, runtime_role)
            if options["verbosity"]:
                self.stdout.write(f"Granted the runtime role {runtime_role} its rights on every table.")
        finally:
            connection.close()
            connection.settings_dict.update(runtime)
