Feature: One shop, every stage
  Progressive scaling grows a system in steps, from a single-instance monolith to distributed
  services, without rewrites: each stage keeps working with what came before (seed, day 15).
  The seed's stages, each a deployment of the same shop code here:

  1. Monolith: one process, one SQLite database, one transaction per order.
  2. Load-balanced monolith: several instances behind a balancer, one database, sessions in a
     shared store (PostgreSQL and Redis on the real target).
  3. Modular monolith: the same process, with product, order, user, payment and inventory
     modules behind interfaces, each owning its tables.
  4. Microservices: the modules as separate services with their own databases, calling each
     other over HTTP and exchanging events (order.created, inventory.reserved) through a broker,
     written through outboxes and applied by idempotent consumers.
  5. Autoscaling: the Kubernetes HorizontalPodAutoscaler drives the number of instances.

  Key properties: incremental growth, backward compatibility, risk mitigation, cost
  optimisation, smooth transitions. This feature makes backward compatibility executable: the
  same ordering scenarios pass at every stage.

  Rule: Backward compatibility: every stage passes the same ordering scenarios

    Scenario Outline: Customers see the catalog at stage <stage>
      Given the shop is deployed as stage <stage>
      And the shop sells:
        | product | name   | price   | stock |
        | iphone  | iPhone | $999.00 | 3     |
        | ipad    | iPad   | $599.00 | 5     |
      When the shop catalog is listed
      Then the shop catalog shows iPad at $599.00 and iPhone at $999.00

      Examples:
        | stage |
        | 1     |
        | 2     |
        | 3     |
        | 4     |

    Scenario Outline: An order is placed at stage <stage>
      Given the shop is deployed as stage <stage>
      And the shop sells:
        | product | name   | price   | stock |
        | iphone  | iPhone | $999.00 | 3     |
        | ipad    | iPad   | $599.00 | 5     |
      And the shop customer john is registered as John <john@example.com>
      When shop customer john orders 1 iphone, 2 ipad with card 4242 4242 4242 4242
      Then the shop confirms the order with a total of $2197.00
      And the shop has 2 iphone and 3 ipad in stock
      And the shop holds 1 confirmed order and 1 payment

      Examples:
        | stage |
        | 1     |
        | 2     |
        | 3     |
        | 4     |

    Scenario Outline: An order for more than the stock is refused at stage <stage>
      Given the shop is deployed as stage <stage>
      And the shop sells:
        | product | name   | price   | stock |
        | iphone  | iPhone | $999.00 | 3     |
      And the shop customer john is registered as John <john@example.com>
      When shop customer john orders 4 iphone with card 4242 4242 4242 4242
      Then the shop refuses the order for insufficient inventory
      And the shop has 3 iphone in stock
      And the shop holds 0 confirmed orders and 0 payments

      Examples:
        | stage |
        | 1     |
        | 2     |
        | 3     |
        | 4     |

    Scenario Outline: A declined payment leaves nothing behind at stage <stage>
      Given the shop is deployed as stage <stage>
      And the shop sells:
        | product | name   | price   | stock |
        | iphone  | iPhone | $999.00 | 3     |
      And the shop customer john is registered as John <john@example.com>
      When shop customer john orders 2 iphone with card 4000 0000 0000 0002
      Then the shop refuses the order because the payment was declined
      And the shop has 3 iphone in stock
      And the shop holds 0 confirmed orders and 0 payments

      Examples:
        | stage |
        | 1     |
        | 2     |
        | 3     |
        | 4     |

    Scenario Outline: The order history lists every order at stage <stage>
      Given the shop is deployed as stage <stage>
      And the shop sells:
        | product | name   | price   | stock |
        | iphone  | iPhone | $999.00 | 3     |
        | ipad    | iPad   | $599.00 | 5     |
      And the shop customer john is registered as John <john@example.com>
      When shop customer john orders 1 ipad with card 4242 4242 4242 4242
      And shop customer john orders 1 iphone with card 4242 4242 4242 4242
      Then the shop order history of john lists 2 confirmed orders: 1 ipad, then 1 iphone

      Examples:
        | stage |
        | 1     |
        | 2     |
        | 3     |
        | 4     |
