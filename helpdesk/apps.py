"""Django's admin app, with the portal's own site (helpdesk.admin_site) as the default."""

from django.contrib.admin.apps import AdminConfig


class YibangAdminConfig(AdminConfig):
    default_site = "helpdesk.admin_site.YibangAdminSite"
