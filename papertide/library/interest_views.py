"""(filled in by the library work of issue 14)"""

urlpatterns: list = []
