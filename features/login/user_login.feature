Feature: User Login
  As a customer
  I want to log into my account
  So that I can access my personal dashboard and order history

  This is the seed's worked example of behaviour-driven development (day 8). Its three scenarios,
  tagged @seed-example, are kept word for word: they are the examples the business agreed on, and
  they run unchanged against a real shop. The scenarios after them are the questions a customer
  or a tester asks next: when does the lock end, does a success forgive earlier failures, what
  does an unknown email see, what does logging out do.

  The shop is a server-rendered Starlette application. Passwords are stored as argon2id hashes
  (RFC 9106) at OWASP's recommended cost (19 MiB, 2 passes); an unknown email is checked against a
  dummy hash, so it takes the same path and gets the same answer as a wrong password. The third
  consecutive failure locks the account for 15 minutes; the clock is injected, so the scenarios let
  time pass without waiting. Sessions live in SQLite behind a signed, HttpOnly, SameSite cookie
  whose id changes at sign-in; every form carries a CSRF token.

  The same steps drive two targets: in process over HTTP, reading the HTML (the default), and
  headless Chromium through Playwright against the app served by uvicorn on 127.0.0.1
  (`behave -D target=real features/login`), which attaches a screenshot of every page a Then step
  checks.

  Background:
    Given the shop has a customer account for "John" with email "john@example.com" and password "mypassword123"

  @seed-example
  Scenario: Successful login with valid credentials
    Given I am on the login page
    When I enter valid email "john@example.com"
    And I enter valid password "mypassword123"
    And I click the "Login" button
    Then I should be redirected to my dashboard
    And I should see "Welcome back, John!"

  @seed-example
  Scenario: Login with invalid credentials
    Given I am on the login page
    When I enter email "john@example.com"
    And I enter incorrect password "wrongpassword"
    And I click the "Login" button
    Then I should remain on the login page
    And I should see error message "Invalid email or password"

  @seed-example
  Scenario: Account lockout after multiple failed attempts
    Given I am on the login page
    And I have already failed to login 2 times
    When I enter email "john@example.com"
    And I enter incorrect password "wrongpassword"
    And I click the "Login" button
    Then I should see "Account temporarily locked. Try again in 15 minutes"
    And the login form should be disabled

  Rule: A lock ends by itself 15 minutes after the third failure
    While it lasts, even the right password is refused, and the message counts down the minutes
    left (rounded up). Add a row to see another moment of the lock.

    Scenario: A locked account signs in again once 15 minutes have passed
      Given I am on the login page
      And I have already failed to login 3 times
      When the login clock moves on 15 minutes
      And I enter valid email "john@example.com"
      And I enter valid password "mypassword123"
      And I click the "Login" button
      Then I should be redirected to my dashboard
      And I should see "Welcome back, John!"

    Scenario Outline: The right password is refused while the lock lasts
      Given I am on the login page
      And I have already failed to login 3 times
      When the login clock moves on <elapsed> minutes
      And I enter valid email "john@example.com"
      And I enter valid password "mypassword123"
      And I click the "Login" button
      Then I should see "Account temporarily locked. Try again in <left>"
      And the login form should be disabled

      Examples:
        | elapsed | left       |
        | 0       | 15 minutes |
        | 5       | 10 minutes |
        | 14      | 1 minute   |

  Rule: A successful login resets the count of failures
    Only consecutive failures count: a success in between starts the count again.

    Scenario: Two failures, a success, then one more failure do not lock the account
      Given I am on the login page
      And I have already failed to login 2 times
      And I have signed in to the shop and signed out again
      When I enter email "john@example.com"
      And I enter incorrect password "wrongpassword"
      And I click the "Login" button
      Then I should see error message "Invalid email or password"
      And the login form should be enabled
      And the shop's count of consecutive failed logins for "john@example.com" is 1

  Rule: An unknown email gets exactly the answer a wrong password gets
    Nobody can learn from the login page which emails have accounts: not from the message, not
    from the page, not from the lock (unknown emails lock the same way).

    Scenario Outline: The same message for an unknown email and a wrong password
      Given I am on the login page
      When I enter email "<email>"
      And I enter incorrect password "<password>"
      And I click the "Login" button
      Then I should remain on the login page
      And I should see error message "Invalid email or password"

      Examples:
        | email              | password      |
        | nobody@example.com | mypassword123 |
        | john@example.com   | wrongpassword |
        | JOHN@example.org   | mypassword123 |

    Scenario: An unknown email is locked like an account
      Given I am on the login page
      And I have already failed to login 2 times with email "nobody@example.com"
      When I enter email "nobody@example.com"
      And I enter incorrect password "wrongpassword"
      And I click the "Login" button
      Then I should see "Account temporarily locked. Try again in 15 minutes"
      And the login form should be disabled

  Rule: Lockout belongs to one account, whatever the case of its email
    Emails are compared case-folded and without spaces, so typing the address differently does
    not get round a lock; another customer's account is not affected by it.

    Scenario Outline: Changing the case of the email does not get round the lock
      Given I am on the login page
      And I have already failed to login 3 times
      When I enter email "<typed as>"
      And I enter valid password "mypassword123"
      And I click the "Login" button
      Then I should see "Account temporarily locked. Try again in 15 minutes"

      Examples:
        | typed as         |
        | JOHN@EXAMPLE.COM |
        | John@Example.Com |

    Scenario: Another customer signs in while John is locked out
      Given the shop has a customer account for "Jane" with email "jane@example.com" and password "janes-secret-42"
      And I am on the login page
      And I have already failed to login 3 times
      When I enter valid email "jane@example.com"
      And I enter valid password "janes-secret-42"
      And I click the "Login" button
      Then I should be redirected to my dashboard
      And I should see "Welcome back, Jane!"

  Rule: The dashboard and the order history are behind the login

    Scenario: The order history shows the customer's orders, newest first
      Given the shop has these orders for "john@example.com":
        | number | placed     | item             | total  |
        | A-1001 | 2026-03-02 | Espresso machine | $89.50 |
        | A-1002 | 2026-05-17 | Coffee beans     | $12.00 |
      And I have signed in to the shop as "john@example.com" with password "mypassword123"
      When I open the shop page "/orders"
      Then I should see "Order history of John"
      And the order history of the shop lists the orders A-1002, A-1001

    Scenario Outline: A visitor who is not signed in is sent to the login page
      Given I am not signed in to the shop
      When I open the shop page "<page>"
      Then I should be redirected to the login page

      Examples:
        | page       |
        | /dashboard |
        | /orders    |

  Rule: Logging out ends the session

    Scenario: After logging out the dashboard is out of reach
      Given I have signed in to the shop as "john@example.com" with password "mypassword123"
      When I click the "Log out" button
      Then I should see "You have been signed out"
      When I open the shop page "/dashboard"
      Then I should be redirected to the login page
