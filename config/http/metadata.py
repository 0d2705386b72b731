"""What an API endpoint answers to ``OPTIONS``.

DRF's default describes the fields of a POST or PUT from the view's
``serializer_class``; Sanad's views declare an input serializer per operation
instead, so the default failed (500) on views without one. The OpenAPI schema at
``/api/schema/`` describes every operation's body; ``OPTIONS`` names the view,
the methods (``Allow``) and the media types it reads and writes.
"""

from rest_framework.metadata import BaseMetadata


class APIMetadata(BaseMetadata):
    def determine_metadata(self, request, view):
        return {
            "name": view.get_view_name(),
            "description": view.get_view_description(),
            "renders": [renderer.media_type for renderer in view.renderer_classes],
            "parses": [parser.media_type for parser in view.parser_classes],
        }
