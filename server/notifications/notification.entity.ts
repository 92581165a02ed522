import { Field, ID, Int } from 'type-graphql';
import { ObjectType } from '../graphql/object-type.js';
import { EdgeOf, PageOf } from '../graphql/pagination.js';
import { NotificationKind } from './notify.js';

@ObjectType({ description: 'Une notification du compte connecté (visible de lui seul)' })
export class Notification {
  @Field(() => ID) id: string;
  @Field(() => NotificationKind, { description: 'Ce dont elle informe ; son libellé est dans `vocabulary { notificationKinds }`' }) kind: NotificationKind;
  @Field(() => String, { description: 'Le message, en français, écrit avec les noms connus quand elle a été émise' }) text: string;
  @Field(() => String, { nullable: true, description: 'La page du site où agir ou lire la suite (un chemin, jamais une autre origine)' }) path: string | null;
  @Field(() => Date) createdAt: Date;
  @Field(() => Date, { nullable: true, description: 'Lue le ; null tant qu’elle n’est pas lue' }) readAt: Date | null;
  @Field(() => String, { description: 'Canal de distribution (`in_app` : dans le site ; le courriel pourra s’y ajouter)' }) channel: string;
}

@ObjectType()
export class NotificationEdge extends EdgeOf(Notification) {}

@ObjectType({ description: 'Les notifications du compte connecté, les plus récentes d’abord' })
export class NotificationConnection extends PageOf(NotificationEdge) {
  @Field(() => Int, { description: 'Nombre de notifications non lues' }) unreadCount: number;
}
