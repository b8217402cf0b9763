// The delays' repository with the SQL it needs from the features whose tables a delay reads or
// moves (orders, deliveries, dead letters), joined here so that no feature imports another's.
import { lastFailureAtOf } from '../dead-letters/failed-message-repository.js';
import { createDelayRepository } from '../delivery-delays/delay-repository.js';
import { deliveredAtOf } from '../notifications/delivery-repository.js';
import { ORDERS_FOR_DELAYS } from '../orders/order-delay-sql.js';

export const createDelayStore = () => createDelayRepository({ orders: ORDERS_FOR_DELAYS, deliveredAt: deliveredAtOf, lastFailureAt: lastFailureAtOf });
