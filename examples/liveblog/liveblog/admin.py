from django.contrib import admin

from .models import BlogUpdate


@admin.register(BlogUpdate)
class BlogUpdateAdmin(admin.ModelAdmin):
    list_display = ["created", "content"]
