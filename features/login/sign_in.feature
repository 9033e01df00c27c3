Feature: Signing in to the shop
  As a customer
  I want my account to open for me and stay shut to anyone guessing my password
  So that my orders and my details are mine

  The questions a customer or a tester asks once the seed's "User Login" examples pass, written
  declaratively, in the shop's business language: each step says what the customer does or what
  the shop answers, never which field is filled, which button is pressed or which URL is opened
  (Cucumber, "Writing better Gherkin": describe behaviour, not implementation). The steps know
  how; the scenarios say what. Each scenario shows one behaviour: one thing happens (When) and
  its outcome is checked (Then).

  A customer is named by the first name of an account the Background registers. The same steps
  drive the shop in process and, with `behave -D target=real`, in headless Chromium against the
  app served by uvicorn on 127.0.0.1.

  Background:
    Given the shop has a customer account for "John" with email "john@example.com" and password "mypassword123"

  Rule: The same behaviour can be told imperatively or declaratively, and the declarative telling ages better
    Both scenarios below check that logging out ends the session. The imperative one is a script
    of the page as it is today: a path, a button's label, a redirect. The declarative one says what
    the customer does and what the shop answers. When the page changes (the button becomes "Sign
    out", the dashboard moves to /account, signing in gains a second factor), the imperative
    scenario has to be rewritten and reviewed again with the business, while the declarative one
    stays true word for word: only the step definitions, which say how, change. It is also shorter
    to read and says why the scenario exists.

    Scenario: Imperative: after logging out, the dashboard redirects to the login page
      Given I have signed in to the shop as "john@example.com" with password "mypassword123"
      And I click the "Log out" button
      When I open the shop page "/dashboard"
      Then I should be redirected to the login page

    Scenario: Declarative: a customer who has signed out is sent to the login page
      Given John has signed in and signed out again
      When John opens the dashboard
      Then John is sent to the login page

  Rule: An email opens its account however it is typed
    The shop compares emails case-folded and without spaces, for signing in as for the lock.

    Scenario: A customer signs in with the email typed in capitals
      Given nobody is signed in to the shop
      When I sign in to the shop as "JOHN@Example.com" with password "mypassword123"
      Then the shop welcomes John back

  Rule: The third failure in a row locks the account for 15 minutes
    While the lock lasts, even the right password is refused and the form is closed; the message
    counts down the minutes left, rounded up. The lock ends by itself. Add a row to see another
    moment of the lock.

    Scenario: A locked-out customer signs in again once 15 minutes have passed
      Given John has failed to sign in 3 times
      And 15 minutes have passed on the login clock
      When John signs in
      Then the shop welcomes John back

    Scenario Outline: The right password is refused while the lock lasts
      Given John has failed to sign in 3 times
      And <elapsed> minutes have passed on the login clock
      When John signs in
      Then the shop says the account is locked for another <left>
      And the login form is disabled

      Examples:
        | elapsed | left       |
        | 0       | 15 minutes |
        | 5       | 10 minutes |
        | 14      | 1 minute   |

  Rule: A successful sign-in forgives the failures before it
    Only failures in a row count: a success in between starts the count again.

    Scenario: Two failures, a success, then one more failure do not lock the account
      Given John has failed to sign in 2 times
      And John has signed in and signed out again
      When John signs in with a wrong password
      Then the shop says the email or password is invalid
      And the login form is enabled
      And the shop's count of consecutive failed logins for "john@example.com" is 1

  Rule: An unknown email gets exactly the answer a wrong password gets
    Nobody can learn from the login page which emails have accounts: not from the message, not
    from the page, not from the lock (unknown emails lock the same way).

    Scenario Outline: The same message for an unknown email and a wrong password
      When someone signs in as "<email>" with the password "<password>"
      Then the shop says the email or password is invalid

      Examples:
        | email              | password      |
        | nobody@example.com | mypassword123 |
        | john@example.com   | wrongpassword |
        | JOHN@example.org   | mypassword123 |

    Scenario: An unknown email is locked like an account
      Given someone has failed to sign in 2 times as "nobody@example.com"
      When someone signs in as "nobody@example.com" with the password "wrongpassword"
      Then the shop says the account is locked for another 15 minutes
      And the login form is disabled

  Rule: A lock belongs to one account, however its email is typed
    Emails are compared case-folded and without spaces, so typing the address differently does
    not get round a lock; another customer's account is not affected by it.

    Scenario Outline: Changing the case of the email does not get round the lock
      Given John has failed to sign in 3 times
      When John signs in typing the email as "<typed as>"
      Then the shop says the account is locked for another 15 minutes

      Examples:
        | typed as         |
        | JOHN@EXAMPLE.COM |
        | John@Example.Com |

    Scenario: Another customer signs in while John is locked out
      Given the shop has a customer account for "Jane" with email "jane@example.com" and password "janes-secret-42"
      And John has failed to sign in 3 times
      When Jane signs in
      Then the shop welcomes Jane back

  Rule: The dashboard and the order history are behind the login

    Scenario: The order history shows the customer's orders, newest first
      Given the shop has these orders for "john@example.com":
        | number | placed     | item             | total  |
        | A-1001 | 2026-03-02 | Espresso machine | $89.50 |
        | A-1002 | 2026-05-17 | Coffee beans     | $12.00 |
      And John is signed in
      When John opens the order history
      Then the order history of the shop lists the orders A-1002, A-1001

    Scenario Outline: A visitor who is not signed in is sent to the login page
      Given nobody is signed in to the shop
      When the visitor opens the <page>
      Then the visitor is sent to the login page

      Examples:
        | page          |
        | dashboard     |
        | order history |

  Rule: Signing out ends the session

    Scenario: The shop confirms the sign-out
      Given John is signed in
      When John signs out
      Then the shop confirms that John has signed out
