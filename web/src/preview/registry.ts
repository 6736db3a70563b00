/**
 * Catalogue type → the preview component that draws it as the mini-program does. A type
 * missing here (a new one from a templates folder) gets the visible placeholder.
 */
import type { Component } from 'vue';
import BusinessHoursBlock from './blocks/BusinessHoursBlock.vue';
import ButtonBlock from './blocks/ButtonBlock.vue';
import CarouselBlock from './blocks/CarouselBlock.vue';
import ContactCardBlock from './blocks/ContactCardBlock.vue';
import ContainerBlock from './blocks/ContainerBlock.vue';
import DividerBlock from './blocks/DividerBlock.vue';
import ImageBlock from './blocks/ImageBlock.vue';
import ImageGridBlock from './blocks/ImageGridBlock.vue';
import NoticeBarBlock from './blocks/NoticeBarBlock.vue';
import RichTextBlock from './blocks/RichTextBlock.vue';
import SpacerBlock from './blocks/SpacerBlock.vue';
import StoreInfoBlock from './blocks/StoreInfoBlock.vue';
import TextBlock from './blocks/TextBlock.vue';
import UnknownBlock from './blocks/UnknownBlock.vue';
import VideoBlock from './blocks/VideoBlock.vue';

export const PREVIEW_COMPONENTS: Readonly<Record<string, Component>> = {
  text: TextBlock,
  image: ImageBlock,
  button: ButtonBlock,
  carousel: CarouselBlock,
  image_grid: ImageGridBlock,
  notice_bar: NoticeBarBlock,
  store_info: StoreInfoBlock,
  contact_card: ContactCardBlock,
  business_hours: BusinessHoursBlock,
  rich_text: RichTextBlock,
  divider: DividerBlock,
  spacer: SpacerBlock,
  video: VideoBlock,
  container: ContainerBlock,
};

export function previewComponent(type: string): Component {
  return PREVIEW_COMPONENTS[type] ?? UnknownBlock;
}

export function hasPreview(type: string): boolean {
  return type in PREVIEW_COMPONENTS;
}
