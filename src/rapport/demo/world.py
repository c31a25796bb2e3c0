"""A seeded, deterministic DEMO world: catalog, users, interaction events and help documents.

Everything here is invented demo data (marked ``"source": "demo"``) set in a fictional "Lisbon".
It combines two platforms: the Soosh learning-and-mentoring marketplace (courses, mentors,
opportunities, learning paths) and a city platform (events, offers, services). Time windows are
relative to ``now`` so "tonight" and "near me now" queries always find something. Standard
library only: no network, no downloads.

The vocabulary lives in small text tables (fields split by ``|``, indented lines continue the
last field) so the catalog stays readable and the module stays short.
"""

from __future__ import annotations

import random
import re
import unicodedata
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

COLD_START_USER_ID = "demo-user-carla"
SPARSE_USER_ID = "demo-user-david"

# Neighbourhood centres; every point is jittered a few hundred metres around one of them,
# which keeps the whole world within ~8 km of (38.72, -9.14).
HOODS: dict[str, tuple[float, float]] = {
    "Alfama": (38.7116, -9.1300),
    "Baixa": (38.7110, -9.1370),
    "Chiado": (38.7105, -9.1420),
    "Príncipe Real": (38.7170, -9.1490),
    "Santos": (38.7070, -9.1550),
    "Alcântara": (38.7040, -9.1770),
    "Belém": (38.6975, -9.2060),
    "Campo de Ourique": (38.7180, -9.1660),
    "Avenidas Novas": (38.7370, -9.1470),
    "Arroios": (38.7280, -9.1350),
    "Marvila": (38.7440, -9.1040),
    "Graça": (38.7170, -9.1310),
    "Estrela": (38.7120, -9.1600),
    "Parque das Nações": (38.7630, -9.0950),
    "Cais do Sodré": (38.7060, -9.1450),
    "Intendente": (38.7210, -9.1360),
    "Alvalade": (38.7530, -9.1440),
    "Monsanto": (38.7300, -9.1900),
}
VENUES: dict[str, str] = {
    "Sala Maré": "Cais do Sodré",
    "Casa Cheia": "Intendente",
    "Armazém 16": "Marvila",
    "Jardim do Rio": "Belém",
    "Cowork Ribeira": "Cais do Sodré",
    "Fábrica Azul": "Alcântara",
    "Atelier do Largo": "Graça",
    "Biblioteca Nova": "Alvalade",
    "Mercado da Praça": "Arroios",
    "Galeria Luz Norte": "Príncipe Real",
    "Pavilhão Tejo": "Parque das Nações",
    "Monsanto Park Gate": "Monsanto",
    "Belém Riverside": "Belém",
    "Marina Walk": "Parque das Nações",
}
COMPANIES = ["Tejo Analytics", "Azulejo Labs", "Pastel Fintech", "Farol Health"]
COMPANIES += ["Ondas Mobility", "Miradouro Studio", "Sardinha Games", "Cais Ventures"]
AVAILABILITY = ["Evening slots on weekdays", "Weekend mornings and Wednesday evenings"]
AVAILABILITY += ["Flexible slots across the week", "Lunchtime slots, Monday to Thursday"]

# Soosh topics. course: difficulty | title | skills | outcome; opp: type | title | detail.
TOPIC_TABLE = """
topic | data-science | Data Science | Tejo Data School | From Zero to Junior Data Scientist
skills | python, pandas, sql, statistics, machine learning, data visualization
roles | Senior Data Scientist, Machine Learning Engineer, Analytics Lead
focus | portfolio reviews, technical interview practice and choosing what to learn next
course | beginner | Python for Data Analysis | python, pandas |
    clean and explore a real dataset of city bike-share trips
course | beginner | SQL for Analysts | sql, statistics |
    write joins, window functions and cohort queries on a retail database
course | intermediate | Applied Machine Learning with scikit-learn | python, machine learning |
    train, validate and tune a churn model and explain where it fails
course | advanced | Experiment Design and A/B Testing | statistics, data visualization |
    size, run and read an A/B test without fooling yourself by peeking
opp | internship | Data Analyst Intern | build weekly reporting in SQL and automate it with Python
opp | freelance | Sales dashboard for a wine exporter |
    build a Metabase dashboard on top of three years of export orders
opp | hackathon | Open Data Lisbon Hackathon |
    turn public transport and air-quality data into tools residents can use

topic | web-development | Web Development | Lisbon Code Lab | Full-Stack Web Developer Track
skills | javascript, typescript, react, html and css, node.js, accessibility
roles | Staff Frontend Engineer, Full-Stack Developer, Engineering Manager
focus | code reviews, architecture decisions and growing from junior to mid-level
course | beginner | Modern HTML and CSS from Scratch | html and css, accessibility |
    build a responsive portfolio site with flexbox, grid and semantic markup
course | beginner | JavaScript Fundamentals | javascript |
    write interactive widgets and really understand closures, promises and the DOM
course | intermediate | React and TypeScript in Practice | react, typescript |
    ship a typed booking app with routing, forms and component tests
course | advanced | Node.js APIs and Deployment | node.js, typescript |
    design a REST API with PostgreSQL, authentication and a CI pipeline
opp | internship | Frontend Developer Intern |
    build new React screens for a mobility app used by 40,000 riders
opp | freelance | Guesthouse booking site rebuild |
    rebuild a small guesthouse booking site in Next.js with online payments
opp | hackathon | Tejo Web Jam | build accessible web apps for local non-profits in one weekend

topic | ux-design | UX Design | Atelier UX | UX Career Switcher Path
skills | user research, figma, prototyping, usability testing, information architecture,
    design systems
roles | Lead Product Designer, UX Researcher, Design Systems Lead
focus | portfolio case studies, career switching and design critique
course | beginner | UX Design Foundations | user research, information architecture |
    run five user interviews and turn them into a journey map
course | beginner | Figma for Product Designers | figma, prototyping |
    design and prototype a mobile checkout flow with auto layout and components
course | intermediate | Usability Testing That Changes Decisions | usability testing |
    plan, moderate and synthesise a usability study with real participants
course | advanced | Building a Design System | design systems, figma |
    create tokens, components and documentation a development team will adopt
opp | internship | UX Research Intern |
    recruit participants, run interviews and share insights with product teams
opp | freelance | Onboarding redesign for a language app |
    audit and redesign the onboarding flow of a language-learning app
opp | hackathon | Design for Good Sprint |
    redesign a public service journey together with the people who use it

topic | product-management | Product Management | Soosh Academy | Product Manager Essentials
skills | roadmapping, discovery, prioritisation, stakeholder management, metrics, user stories
roles | Group Product Manager, Head of Product, Senior Product Manager
focus | prioritisation dilemmas, stakeholder conflicts and moving into senior roles
course | beginner | Product Management 101 | prioritisation, user stories |
    write a one-page product brief and a first prioritised backlog
course | intermediate | Continuous Discovery Habits | discovery |
    map opportunities from weekly customer interviews and test assumptions cheaply
course | intermediate | Metrics and North Star Design | metrics, prioritisation |
    define a north star metric, its input metrics and a weekly review ritual
course | advanced | Leading Product Strategy | roadmapping, stakeholder management |
    build a strategy narrative and a roadmap that survives contact with leadership
opp | internship | Associate Product Manager Intern |
    own a small feature end to end, from discovery interviews to release notes
opp | freelance | Discovery sprint for a fintech MVP |
    run a two-week discovery sprint and deliver a validated MVP scope

topic | marketing | Marketing | Growth Guild | Creator and Growth Marketing Path
skills | seo, content strategy, email marketing, paid social, copywriting, analytics
roles | Growth Marketing Lead, Content Strategist, Performance Marketer
focus | channel strategy, content calendars and measuring what actually works
course | beginner | Digital Marketing Essentials | content strategy, paid social |
    plan a 30-day campaign across search, email and social
course | intermediate | SEO That Compounds | seo, analytics |
    research keywords, fix technical issues and plan a content cluster
course | intermediate | Email Marketing and Automation | email marketing, copywriting |
    set up welcome and re-engagement sequences and measure their lift
course | beginner | Growing an Audience as a Creator | content strategy, copywriting |
    define your niche, a posting rhythm and a newsletter that converts followers
opp | internship | Marketing Intern |
    run social channels and write the monthly newsletter for a fintech brand
opp | freelance | Content for a surf school |
    write a month of Instagram posts and two newsletters for a surf school

topic | music-production | Music Production | Ribeira Sound School |
    Bedroom to Release: Music Producer Path
skills | ableton live, mixing, mastering, sound design, songwriting, music theory
roles | Music Producer, Mixing Engineer, Sound Designer
focus | feedback on your tracks, finishing songs and releasing music independently
course | beginner | Beat Making in Ableton Live | ableton live, music theory |
    produce three full beats with drums, bass and chord progressions
course | beginner | Songwriting Workshop | songwriting, music theory |
    take two songs from a voice memo to a structured demo
course | intermediate | Mixing Fundamentals | mixing |
    balance, EQ and compress a 24-track session until it translates on any speaker
course | advanced | Mastering and Release Strategy | mastering, mixing |
    master an EP, prepare stems and plan a release on streaming platforms
opp | freelance | Radio jingle for a local campaign |
    compose and mix a 60-second jingle for a local radio campaign
opp | hackathon | Music Tech Hack Lisbon |
    prototype new instruments, plugins and live-performance tools

topic | photography | Photography | Luz Photo School | Photography: Hobby to First Commissions
skills | composition, lighting, lightroom, portrait photography, street photography,
    photo editing
roles | Documentary Photographer, Commercial Photographer, Photo Editor
focus | portfolio edits, pricing your first commissions and finding your style
course | beginner | Photography Basics: Shoot in Manual | composition, lighting |
    master aperture, shutter speed and ISO on a guided walk through Alfama
course | beginner | Lightroom Editing Workflow | lightroom, photo editing |
    import, cull, grade and export a full shoot in under an hour
course | intermediate | Street Photography in Lisbon | street photography, composition |
    build a 12-image street series with a consistent point of view
course | intermediate | Portrait Lighting with One Flash | portrait photography, lighting |
    light flattering portraits with a single speedlight and a reflector
opp | internship | Photo Studio Assistant Intern |
    assist on commercial shoots, manage lighting kits and edit selects
opp | freelance | Product photos for a ceramics shop |
    shoot and edit 40 product photos for a ceramics shop's new online store

topic | entrepreneurship | Entrepreneurship | Startup Campus Lisboa | Founder Launchpad
skills | business modelling, fundraising, customer development, pitching, finance basics,
    go-to-market
roles | Founder and CEO, Startup Advisor, Angel Investor
focus | fundraising preparation, pitch practice and early go-to-market decisions
course | beginner | Validate Your Startup Idea | customer development, business modelling |
    interview 20 potential customers and decide whether to build, pivot or stop
course | intermediate | Startup Finance for Founders | finance basics, fundraising |
    build a simple financial model, a runway plan and a cap table
course | intermediate | Pitching to Investors | pitching, fundraising |
    craft a 10-slide deck and rehearse a three-minute pitch with live feedback
course | advanced | Go-to-Market for Early-Stage Startups | go-to-market, customer development |
    pick a beachhead segment and design your first repeatable sales motion
opp | internship | Venture Studio Intern | research markets and help validate two venture ideas
opp | freelance | Investor deck for a climate startup |
    prepare an investor deck and financial model for a climate startup
opp | hackathon | Startup Weekend Lisbon | go from idea to a pitched prototype in 54 hours
"""

# name | languages besides English | topic (two mentors per topic, four busy topics get three)
MENTOR_TABLE = """
Inês Carvalho | Portuguese | data-science
Ravi Menon | Hindi | data-science
Kwame Mensah | French | data-science
Joana Ribeiro | Portuguese, Spanish | web-development
Lucas Ferreira | Portuguese | web-development
Hannah Weber | German | web-development
Camille Laurent | French | ux-design
Mariana Costa | Portuguese | ux-design
Beatriz Pinto | Portuguese | ux-design
Pedro Almeida | Portuguese | product-management
Elena Rossi | Italian | product-management
André Lopes | Portuguese | marketing
Chloe Bennett | | marketing
Tomás Sousa | Portuguese, French | music-production
Yara Haddad | Arabic, French | music-production
Diogo Martins | Portuguese | photography
Sara Nunes | Portuguese, Spanish | photography
Nuno Teixeira | Portuguese | entrepreneurship
Rita Gomes | Portuguese | entrepreneurship
Matteo Bianchi | Italian, Spanish | entrepreneurship
"""

# type | duration hours | chance of free entry | min price | max price | categories | tags | venues
EVENT_TYPE_TABLE = """
concert | 3 | 0.15 | 10 | 35 | music, nightlife | live-music |
    Sala Maré, Casa Cheia, Armazém 16, Jardim do Rio
workshop | 3 | 0.1 | 15 | 45 | learning, workshop | | Cowork Ribeira, Fábrica Azul, Atelier do Largo
meetup | 2 | 0.8 | 5 | 10 | networking, community | networking |
    Cowork Ribeira, Biblioteca Nova, Armazém 16
food_market | 6 | 0.9 | 3 | 5 | food, market | food | Mercado da Praça, Armazém 16, Jardim do Rio
exhibition | 9 | 0.4 | 5 | 12 | art, culture | art | Galeria Luz Norte, Armazém 16, Pavilhão Tejo
running_club | 1.5 | 0.85 | 3 | 8 | fitness, sport | running, fitness |
    Monsanto Park Gate, Belém Riverside, Marina Walk
"""
# type | usual start hour (UTC) | title | extra tags | description
EVENT_TABLE = """
concert | 21 | Maré Alta: Fado by Candlelight | fado |
    An intimate set of traditional and new fado with Portuguese guitar.
concert | 21 | The Harbour Lights Album Launch | indie |
    The indie quartet plays its second album in full, with two local support acts.
concert | 22 | Quarteto Sol: Jazz Standards Night | jazz |
    Swing and bossa nova standards, with an open jam session after the second set.
concert | 22 | Rio Bravo Collective Live | afrobeat |
    A ten-piece afrobeat band with horns and percussion; expect to dance.
concert | 23 | Noa Vega Electronic Live Set | electronic |
    A live electronic set built from modular synths and field recordings of the river.
concert | 20 | Banda do Cais Folk Session | folk |
    Portuguese and Galician folk songs with accordion, fiddle and bagpipes.
concert | 19 | Chamber Orchestra by the River | classical |
    Vivaldi and Piazzolla played outdoors at sunset; bring a blanket.
workshop | 18 | Beat Making for Absolute Beginners | music-production |
    Make your first beat in Ableton Live; laptops with headphones provided.
workshop | 17 | Intro to Film Photography | photography |
    Load, shoot and develop a roll of black-and-white film in a small group.
workshop | 18 | Azulejo Tile Painting | art |
    Paint your own tile with traditional cobalt pigments; fired and ready in a week.
workshop | 10 | Sourdough Bread Workshop | food |
    Feed a starter, shape two loaves and take home dough and a jar of starter.
workshop | 18 | Figma Crash Course | ux-design |
    Design a mobile screen from scratch with components and auto layout.
workshop | 19 | Plant-Based Cooking Class | vegan, food |
    Cook a three-course vegan Portuguese menu, from caldo verde to a vegan pastel de nata.
workshop | 18 | Data Visualisation with Python Evening | data-science, tech |
    Turn open city data into clear charts with pandas and Altair; bring a laptop.
workshop | 18 | Pitch Clinic for Founders | entrepreneurship |
    Deliver your three-minute pitch and get direct feedback from two angel investors.
meetup | 19 | Lisbon Python and Data Meetup | data-science, tech |
    Two short talks on production machine learning, then pizza and networking.
meetup | 9 | UX Coffee Morning | ux-design |
    Designers and researchers share work in progress over coffee and pastries.
meetup | 19 | Founders and Funders Night | entrepreneurship |
    Five startups pitch, investors answer questions, and everyone stays for drinks.
meetup | 19 | Women in Product Lisbon | product-management |
    A panel on moving from PM to product leadership, followed by small-group mentoring.
meetup | 19 | JavaScript Lisbon | web-development, tech |
    Lightning talks on React Server Components, testing and web accessibility.
meetup | 18 | Creators' Content Swap | marketing |
    Newsletter writers and video creators swap what worked for them this month.
meetup | 20 | Producers' Feedback Circle | music-production, live-music |
    Play eight bars of a track in progress and get honest feedback from peers.
meetup | 18 | Golden Hour Photo Walk in Graça | photography, outdoors |
    A slow walk through viewpoints and alleys with tips on light and composition.
food_market | 18 | Vegan Night Market | vegan, nightlife |
    Twenty plant-based stalls, natural wine and a DJ until late.
food_market | 9 | Sunday Farmers' Market | outdoors |
    Organic vegetables, cheese and bread straight from producers in the region.
food_market | 18 | Street Food Friday | nightlife |
    Food trucks from six countries, craft beer and live music.
food_market | 16 | Natural Wine and Petiscos Fair | wine |
    Small winemakers pour their wines alongside Portuguese petiscos.
food_market | 10 | Plant-Based Brunch Pop-up | vegan, coffee |
    Vegan brunch plates, specialty coffee and a zero-waste refill stand.
food_market | 10 | Specialty Coffee Festival | coffee |
    Roasters, latte art throwdowns and brewing classes for home baristas.
exhibition | 10 | Light and Tide: Contemporary Photography | photography |
    Twelve photographers on the river, the port and the people who work there.
exhibition | 10 | Azulejo Now: Tiles Reimagined | |
    Contemporary artists reinvent the city's tile tradition in ceramics and video.
exhibition | 10 | Data as Art: Visualising the City | data-science |
    Large-scale prints and interactive screens made from open city data.
exhibition | 11 | Sound Installations in the Warehouse | live-music |
    Immersive sound pieces across three rooms of a former riverside warehouse.
exhibition | 10 | Young Illustrators Showcase | books |
    Original drawings from picture books and graphic novels by emerging illustrators.
running_club | 8 | Riverside 5K Social Run | |
    An easy 5 km along the river at conversation pace, with coffee afterwards.
running_club | 7 | Sunrise Trail Run in Monsanto | outdoors |
    Ten kilometres of forest trails with two pace groups; trail shoes recommended.
running_club | 19 | Tuesday Tempo Club | |
    Warm-up, 3 x 2 km at tempo pace and a cool-down, coached by a certified trainer.
running_club | 9 | Run and Brunch: Vegan Edition | vegan, food |
    A relaxed 7 km loop that finishes at a vegan brunch spot with a group table.
running_club | 18 | Couch-to-5K Beginner Session | |
    Walk-run intervals for new runners; nobody gets left behind.
running_club | 21 | Night Run over the Hills | nightlife |
    A hilly 8 km loop past lit-up viewpoints; bring a reflective vest.
"""

# business type | number of offers | categories | tags | business names
BUSINESS_TABLE = """
restaurant | 8 | food, restaurant | portuguese | Tasca do Largo, Peixe na Brasa, Taberna Sete Portas
vegan_restaurant | 6 | food, vegan, restaurant | vegan, plant-based |
    Verde Vivo, Horta Kitchen, Raiz Plant Bar
cafe | 6 | food, coffee | coffee | Café Miradouro, Grão Specialty Coffee, Nata Dourada
gym | 5 | fitness, sport | fitness, gym | Forma Gym Arroios, Tejo CrossFit Box, Ritmo Climbing Wall
bookshop | 5 | books, culture | books | Livraria Travessa, Page and Port, Livraria das Letras
"""
# business type | full price in euros | deal | description
DEAL_TABLE = """
restaurant | 16 | Two-course lunch menu with wine |
    Soup or starter, dish of the day and a glass of house wine.
restaurant | 58 | Grilled fish dinner for two |
    Catch of the day grilled over charcoal with potatoes, salad and a bottle of vinho verde.
restaurant | 28 | Petiscos tasting board | Eight small plates to share, from pica-pau to octopus.
vegan_restaurant | 45 | Vegan tasting menu |
    Five seasonal plant-based courses with an optional natural wine pairing.
vegan_restaurant | 32 | Plant-based brunch for two |
    Two brunch plates, fresh juices and oat-milk coffees.
cafe | 3 | Pastel de nata and espresso | A warm custard tart with a bica, any time of day.
cafe | 7 | Flat white and banana bread | Specialty flat white with home-made banana bread.
cafe | 15 | Work-from-cafe day pass |
    Unlimited filter coffee, fast Wi-Fi and a reserved desk until 6 pm.
gym | 55 | First month membership |
    Full access to equipment and group classes for 30 days, induction included.
gym | 90 | 10-class pack | Ten group classes to use within three months.
bookshop | 18 | Book and coffee combo |
    Any paperback under 15 euros plus a coffee in the reading room.
bookshop | 60 | Photography and design books bundle |
    Pick any two titles from the photography and design shelves.
"""
# title | provider | price | unit | categories | tags | description
SERVICE_TABLE = """
Vinyasa yoga drop-in class | Casa Prana Yoga | 12 | per class | wellness, fitness | yoga |
    A 75-minute flowing class for all levels; mats and blocks provided.
Riverside sunrise yoga | Casa Prana Yoga | 10 | per class | wellness, fitness | yoga, outdoors |
    Gentle outdoor practice at 7 am, weather permitting.
Bike tune-up and safety check | Oficina da Bicla | 35 | per bike | cycling, repair | cycling |
    Brakes, gears, chain and tyres checked and adjusted, usually the same day.
Puncture repair while you wait | Oficina da Bicla | 12 | per wheel | cycling, repair | cycling |
    Inner tube replaced in about 20 minutes, tube included.
Maths and physics tutoring | Explica Mais | 25 | per hour | education, tutoring | tutoring |
    One-to-one sessions for secondary school students preparing for national exams.
Portuguese lessons for expats | Fala Comigo | 22 | per hour | education | tutoring, languages |
    Conversation-first lessons from A1 to B2 with a native teacher.
Personal training session | Forma Gym Arroios | 40 | per session | fitness, sport | fitness |
    A one-hour session with a certified coach, including a movement assessment.
Guitar lessons for adults | Escola do Som | 30 | per hour | music, education | live-music |
    Learn the songs you love, from chords to fingerpicking, at your own pace.
Portrait photo session | Estúdio Claro | 85 | per session | creative | photography |
    A 45-minute studio session with ten edited portraits, ideal for CVs and profiles.
Laptop repair and cleanup | TecnoFix | 45 | per repair | tech, repair | tech |
    Diagnosis, cleaning, battery or screen replacement and a fresh system setup.
"""

# persona | slug | home | device | events | hours/week | learning style | communication style.
# Interests double as item tags, so each history follows its persona.
PERSONA_TABLE = """
persona | ana | Arroios | desktop | 34 | 10 | hands-on projects | concise and direct
interests | data science, statistics, running, coffee
skills | python:intermediate, sql:beginner, statistics:intermediate
goals | land a junior data scientist role within a year; build three end-to-end projects
persona | tiago | Intendente | mobile | 28 | 12 | video lessons | casual
interests | music production, live music, photography, marketing
skills | ableton live:intermediate, songwriting:advanced, mixing:beginner
goals | release a self-produced EP; grow a local fan base and play more gigs
persona | marta | Campo de Ourique | mobile | 40 | 4 | hands-on projects | friendly and encouraging
interests | vegan, running, food, yoga, fitness
skills | nutrition:intermediate, trail running:intermediate
goals | run a half marathon in under two hours; try every vegan spot in the city
persona | sofia | Alvalade | desktop | 30 | 8 | live cohort with peers | detailed with examples
interests | ux design, product management, web development, art
skills | figma:beginner, user research:beginner, teaching:advanced
goals | switch from teaching to a UX designer role; finish a portfolio with two case studies
persona | rui | Marvila | mobile | 26 | 6 | one-to-one mentoring | concise and direct
interests | entrepreneurship, product management, marketing, networking
skills | pitching:intermediate, business modelling:intermediate, javascript:beginner
goals | raise a pre-seed round for a logistics startup; find a technical co-founder
persona | lena | Santos | desktop | 22 | 7 | reading and notes | concise and direct
interests | web development, data science, tech, coffee
skills | javascript:advanced, react:intermediate, node.js:beginner
goals | become a full-stack developer; contribute to an open-source project
persona | joao | Graça | mobile | 24 | 9 | hands-on projects | friendly and encouraging
interests | photography, art, marketing, outdoors
skills | composition:intermediate, lightroom:intermediate, portrait photography:beginner
goals | earn the first paid photography commissions; exhibit a street photography series
persona | priya | Avenidas Novas | desktop | 20 | 5 | reading and notes | detailed with examples
interests | product management, ux design, data science, yoga
skills | roadmapping:advanced, discovery:intermediate, sql:beginner
goals | move into a senior product role; get comfortable analysing data without help
persona | miguel | Chiado | mobile | 18 | 10 | video lessons | casual
interests | marketing, photography, entrepreneurship, coffee
skills | copywriting:advanced, content strategy:intermediate, seo:beginner
goals | grow a newsletter to 5,000 subscribers; turn content into a sustainable business
persona | carla | Estrela | tablet | 0 | 3 | live cohort with peers | friendly and encouraging
interests | photography, books, art, yoga
skills | photo editing:beginner
goals | learn to shoot in manual mode; meet people with similar hobbies
persona | david | Parque das Nações | mobile | 2 | 5 | hands-on projects | concise and direct
interests | running, web development, food
skills | python:intermediate, html and css:intermediate
goals | settle into the city and find a running group; freelance as a web developer
persona | beatriz | Alvalade | mobile | 16 | 15 | live cohort with peers | casual
interests | data science, web development, books, live music
skills | python:beginner, javascript:beginner, statistics:intermediate
goals | win a hackathon; find a summer internship in tech
"""

# id | topic | title, then the body; blank lines separate paragraphs.
DOCUMENT_TABLE = """
demo-doc-booking | mentoring | How mentoring sessions are booked and cancelled |
    Every mentor on Soosh publishes a weekly calendar. Open a mentor's profile, choose a session
    length (30, 60 or 90 minutes) and pick a free slot. Slots are shown in your own time zone,
    which you can change under Settings > Profile. You pay when you book, and the slot is held
    for you as soon as the payment is confirmed.

    After booking you receive a confirmation email with a video link and a short form asking what
    you want to work on. Mentors read it beforehand, so a few specific questions (a portfolio
    link, a draft pitch deck, a track you are mixing) make the hour far more useful. Reminders
    arrive 24 hours and 1 hour before the session by email and, if enabled, by push notification.

    You can reschedule once for free up to 12 hours before the start from My Sessions >
    Reschedule. To cancel, open the session and choose Cancel booking. Cancelling at least 24
    hours ahead gives a full refund; between 24 and 2 hours ahead you get 50% back, or 100% as
    platform credit; later cancellations and no-shows are not refunded. If a mentor cancels, you
    always get a full refund and priority access to their next free slots.

    New to mentoring? Many mentors offer a free 15-minute intro call, marked with a badge on their
    profile. It is a good way to check the fit before booking a paid session.

demo-doc-refunds | billing | Refund policy |
    We want every purchase on the platform to feel safe. This policy covers mentor sessions,
    courses and learning paths, event tickets and offer vouchers.

    Mentor sessions: full refund if you cancel at least 24 hours before the start, 50% refund (or
    full platform credit) between 24 and 2 hours before, and no refund for later cancellations or
    no-shows. If the mentor cancels or does not show up, you are refunded in full automatically.

    Courses and learning paths: ask for a full refund within 14 days of purchase, as long as you
    have completed less than 30% of the content. Live cohorts can be refunded until the day before
    the first session.

    Event tickets: refundable until 48 hours before the event starts, unless the organiser states
    a stricter rule on the event page. If an event is cancelled or moved by more than a day, every
    ticket is refunded in full. Offer vouchers: unused vouchers can be refunded within 14 days of
    purchase; once redeemed at the venue, or after they expire, they cannot be refunded.

    Refunds go back to the original payment method and usually arrive within 5 to 10 business
    days. Platform credit is available immediately and never expires. For anything not covered
    here, contact support from the Help menu and a person will answer within one business day.

demo-doc-recommendations | recommendations | How recommendations work |
    Your feed mixes courses, mentors, opportunities, events and offers that we think fit you right
    now. Each card shows a short reason, such as "because you saved Python for Data Analysis" or
    "near you tonight", so you can see why it appears.

    Three kinds of signals shape the feed. Your profile: the interests, skills, goals and weekly
    time you shared during onboarding. Your activity: views, clicks, saves, enrolments and
    purchases show what you like, and a save or a purchase counts much more than a click;
    dismissing a card lowers similar items. Context: for events and offers we look at distance,
    start time and whether an offer is still valid, so "near me now" means near and now.

    When you are new we have little activity to learn from, so the first recommendations lean on
    your onboarding answers and on what is popular with people who share your goals. After a
    handful of interactions the feed becomes more personal. We also keep some variety on purpose,
    so you discover things slightly outside your usual topics.

    You stay in control. Edit your profile at any time, reset your activity history, or switch
    off AI personalisation under Settings > Privacy; the feed then shows popular and recent items
    only. You can also download or delete all of your data from the same page.

demo-doc-guidelines | community | Community guidelines |
    Soosh works because learners, mentors, organisers and businesses trust each other. These
    guidelines apply to profiles, messages, reviews, event listings and posts.

    Be respectful. Disagree with ideas, not people. Harassment, discrimination, threats and
    unwanted romantic or sexual advances are never acceptable, in messages or in sessions.

    Be honest. Use your real name and describe your experience accurately. Mentors must not claim
    roles, employers or credentials they do not have. Reviews must describe a session or event
    you actually attended, and businesses may not offer rewards for positive reviews.

    Keep transactions on the platform: being paid outside Soosh removes the protection of the
    refund policy and can lead to suspension. Protect privacy: do not share other people's
    personal data, private messages or recordings of sessions made without consent.

    Report problems. Every profile, message and listing has a Report option. A person reviews each
    report, usually within 24 hours. Depending on severity we remove content, issue a warning or
    suspend the account; repeated or serious violations lead to permanent removal.

demo-doc-creator-guide | creators | Creator coaching guide: growing an audience |
    This guide is for mentors and creators who want more people to discover their sessions,
    courses and posts. Growth rarely comes from one viral moment; it comes from a clear promise
    repeated consistently.

    Start with a narrow promise. "I help career switchers land their first UX role" works better
    than "I teach design". Put that sentence at the top of your profile and in the first line of
    every course description.

    Pick a rhythm you can keep for three months, for example one practical post a week and a short
    newsletter every two weeks. Reuse what you already do: turn a common question from sessions
    into a post, and a good post into a free 20-minute workshop. Posts with a concrete example,
    like a before-and-after portfolio page or a mixing chain, get saved more often, and saves are
    one of the strongest signals in our recommendations.

    Invite people one step further each time: a post links to a free intro call, an intro call
    leads to a session, and regular mentees may join a learning path. Ask happy mentees for a
    review right after a good session, while the result is fresh.

    Look at your dashboard once a week. Watch profile views, saves and booking conversion rather
    than follower counts. If views are high but bookings low, rewrite your profile promise; if
    views are low, post more consistently or speak at a community event.

demo-doc-pricing | pricing | Pricing of mentor sessions |
    Mentors set their own hourly rate, between 25 and 120 euros. Mentors with under five years of
    experience usually charge 30 to 50 euros, senior practitioners 60 to 90 euros, and leaders or
    investors up to 120 euros. The price on a profile is the full price, including VAT and the
    platform fee; there are no extra charges at checkout.

    Sessions of 30 and 90 minutes are priced pro rata from the hourly rate. Many mentors offer a
    free 15-minute intro call, and some sell packs of four sessions with a 10% discount, usable
    within three months.

    Mentors keep 85% of every session price. The 15% platform fee pays for payments, video calls,
    scheduling, reminders, support and the refund guarantee. Payouts are made every two weeks
    for sessions that took place.

    Students and people between jobs can apply for a 30% access discount on up to four sessions
    per quarter, funded by the platform rather than by mentors. Apply from Settings > Billing;
    decisions take about two business days. Mentors can change their rate at any time, but the
    new rate applies to new bookings only.
"""

DIFFICULTY_HOURS = {"beginner": (6, 12), "intermediate": (10, 20), "advanced": (16, 30)}
DIFFICULTY_PRICE = {"beginner": (29, 79), "intermediate": (59, 149), "advanced": (99, 249)}
AUDIENCE = {
    "beginner": "No prior experience needed.",
    "intermediate": "Best if you already know the basics of {topic}.",
    "advanced": "Aimed at practitioners with at least a year of hands-on experience.",
}
Record = dict[str, Any]
"""One JSON-serialisable record."""

RATINGS = ([3, 4, 5], [0.15, 0.45, 0.40])


@dataclass(frozen=True)
class DemoWorld:
    """A generated DEMO world: plain JSON-serialisable records, ready to import."""

    items: list[Record]
    users: list[Record]
    events: list[Record]
    documents: list[Record]
    persona: Record = field(default_factory=dict)
    """The assistant's persona for the tenant (`PUT /persona`)."""
    process: Record = field(default_factory=dict)
    """A process a member is working through (for `POST /assistant/process-operations`)."""
    conversations: list[Record] = field(default_factory=list)
    """Chats to replay: `{"user_id", "messages": [...]}`."""
    availability: list[Record] = field(default_factory=list)
    """Mentors' weekly availability: `{"item_id", "timezone", "weekly": [...]}`."""
    calendars: list[Record] = field(default_factory=list)
    """Users' busy calendars to import: `{"user_id", "source", "ics"}`."""
    schedule_preferences: list[Record] = field(default_factory=list)
    """Users' scheduling preferences: `{"user_id", "time_of_day", "weekdays"}`."""

    def as_dict(self) -> dict[str, list[Record]]:
        return asdict(self)


def _rows(table: str) -> list[list[str]]:
    """Parse a vocab table: fields split by ``|``; indented lines continue the last field."""
    rows: list[list[str]] = []
    gap = False
    for line in table.strip("\n").splitlines():
        if not line.strip():
            gap = True
            continue
        if line[0].isspace():
            last = rows[-1][-1]
            sep = "\n\n" if gap else " "
            rows[-1][-1] = f"{last}{sep}{line.strip()}" if last else line.strip()
        else:
            rows.append([field.strip() for field in line.split("|")])
        gap = False
    return rows


def _list(field: str, sep: str = ", ") -> list[str]:
    return [part for part in field.split(sep) if part]


def _topics() -> dict[str, dict[str, Any]]:
    topics: dict[str, dict[str, Any]] = {}
    topic: dict[str, Any] = {}
    for tag, *f in _rows(TOPIC_TABLE):
        if tag == "topic":
            topic = {"label": f[1], "provider": f[2], "path": f[3], "courses": [], "opps": []}
            topics[f[0]] = topic
        elif tag in ("skills", "roles"):
            topic[tag] = _list(f[0])
        elif tag == "focus":
            topic["focus"] = f[0]
        elif tag == "course":  # (title, difficulty, skills, outcome)
            topic["courses"].append((f[1], f[0], _list(f[2]), f[3]))
        else:  # (type, title, detail)
            topic["opps"].append(tuple(f))
    return topics


TOPICS = _topics()


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


def _and(words: list[str]) -> str:
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"


def _iso(dt: datetime | None) -> str | None:
    return dt.isoformat() if dt is not None else None


def _date(dt: datetime) -> str:
    return f"{dt.day} {dt:%B}"


def _point(rng: random.Random, hood: str) -> dict[str, float]:
    lat, lon = HOODS[hood]
    # ~300 m of jitter so places in one neighbourhood do not share a point.
    return {
        "lat": round(lat + rng.uniform(-0.003, 0.003), 5),
        "lon": round(lon + rng.uniform(-0.0035, 0.0035), 5),
    }


def _item(item_id: str, kind: str, title: str, text: str, tags: list[str], **fields: Any) -> Record:
    """One item record; ``fields`` fill in categories, attributes, times, place and price."""
    return {
        "id": item_id,
        "kind": kind,
        "title": title,
        "text": text,
        "tags": sorted(set(tags)),
        "categories": fields["categories"],
        "attributes": {**fields["attributes"], "source": "demo"},
        "location": fields.get("location"),
        "starts_at": _iso(fields.get("starts_at")),
        "ends_at": _iso(fields.get("ends_at")),
        "price": fields.get("price"),
        "original_price": fields.get("original_price"),
        "active": True,
        "created_at": _iso(fields["created_at"]),
    }


def _catalog(rng: random.Random, now: datetime) -> list[Record]:
    """Soosh marketplace: courses, mentors, opportunities and learning paths."""
    items: list[Record] = []
    paths: list[Record] = []
    order = {"beginner": 0, "intermediate": 1, "advanced": 2}
    for key, topic in TOPICS.items():
        steps: list[tuple[int, str, float, int, str]] = []
        for title, difficulty, skills, outcome in topic["courses"]:
            hours = rng.randint(*DIFFICULTY_HOURS[difficulty])
            low, high = DIFFICULTY_PRICE[difficulty]
            # Catalog-style prices ending in 9; a few courses are free.
            price = (
                0.0 if rng.random() < 0.15 else float(rng.randint(low // 10, high // 10) * 10 + 9)
            )
            provider = "Soosh Academy" if rng.random() < 0.25 else topic["provider"]
            live = rng.random() < 0.35
            starts = (now + timedelta(days=rng.randint(5, 35))).replace(hour=18) if live else None
            fmt = "live online sessions twice a week" if live else "self-paced video lessons"
            article = "an" if difficulty[0] in "aeiou" else "a"
            text = (
                f"{title} is {article} {difficulty} course by {provider}, about {hours} hours of "
                f"work. You will {outcome}. Covers {_and(skills)}, with {fmt} and weekly "
                f"exercises. " + AUDIENCE[difficulty].format(topic=topic["label"].lower())
            )
            course_id = f"course-{_slug(title)}"
            attributes = {"difficulty": difficulty, "duration_hours": hours, "topic": key}
            attributes |= {"provider": provider, "format": "live cohort" if live else "self-paced"}
            items.append(
                _item(
                    course_id, "course", title, text, [key, *map(_slug, skills)],
                    categories=["learning", key], attributes=attributes, price=price,
                    created_at=now - timedelta(days=rng.randint(90, 365)), starts_at=starts,
                    ends_at=starts + timedelta(weeks=max(2, hours // 4)) if starts else None,
                )
            )  # fmt: skip
            steps.append((order[difficulty], course_id, price, hours, title))
        paths.append(_learning_path(rng, now, key, sorted(steps)))
        for kind, title, detail in topic["opps"]:
            items.append(_opportunity(rng, now, key, kind, title, detail))
    for name, langs, key in _rows(MENTOR_TABLE):
        items.append(_mentor(rng, now, name, ["English", *_list(langs)], key))
    return items + paths


def _learning_path(
    rng: random.Random, now: datetime, key: str, steps: list[tuple[int, str, float, int, str]]
) -> Record:
    topic = TOPICS[key]
    total = sum(step[2] for step in steps)
    hours = sum(step[3] for step in steps)
    text = (
        f"A guided sequence of {len(steps)} courses: {_and([s[4] for s in steps])}. Plan for "
        f"about {hours} hours, roughly {hours // 5 + 1} weeks at five hours a week. The path ends "
        f"with a portfolio project reviewed by a {topic['label'].lower()} mentor."
    )
    # The bundle costs 20% less than buying the courses one by one.
    return _item(
        f"path-{key}", "learning_path", topic["path"], text,
        [key, *map(_slug, topic["skills"][:3])],
        categories=["learning", "learning-path", key],
        attributes={"steps": [s[1] for s in steps], "duration_hours": hours, "topic": key},
        created_at=now - timedelta(days=rng.randint(60, 200)),
        price=round(total * 0.8), original_price=total if total > 0 else None,
    )  # fmt: skip


def _opportunity(
    rng: random.Random, now: datetime, key: str, kind: str, title: str, detail: str
) -> Record:
    topic = TOPICS[key]
    posted = now - timedelta(days=rng.randint(3, 40), hours=rng.randint(0, 23))
    deadline = (now + timedelta(days=rng.randint(4, 45))).replace(hour=23)
    hood = rng.choice(["Cais do Sodré", "Marvila", "Avenidas Novas", "Parque das Nações"])
    company, skill = rng.choice(COMPANIES), rng.choice(topic["skills"])
    location: dict[str, float] | None = _point(rng, hood)
    if kind == "internship":
        months, stipend = rng.choice([3, 6]), rng.choice([800, 900, 1000])
        title = f"{title} at {company}"
        text = (
            f"{company} is hiring for {months} months in {hood}, hybrid. You will {detail}, with "
            f"weekly mentoring from a senior {topic['label'].lower()} practitioner. Stipend of "
            f"{stipend} euros per month; applications close on {_date(deadline)}."
        )
        pay = f"{stipend} EUR/month"
    elif kind == "freelance":
        hours = rng.randint(20, 60)
        budget = hours * rng.choice([25, 30, 40]) // 50 * 50
        title, location = f"Freelance: {title}", None  # remote work has no place
        text = (
            f"A client of {company} is looking for a freelancer to {detail}. Expect around "
            f"{hours} hours of work over {hours // 10 + 1} weeks, fully remote. Budget {budget} "
            f"euros, paid on delivery; strong {skill} skills required. Apply by {_date(deadline)}."
        )
        pay = f"{budget} EUR fixed"
    else:
        prize = rng.choice([2000, 3000, 5000])
        text = (
            f"{title} is a two-day hackathon in {hood}, hosted by {company}, where teams of up to "
            f"five {detail}. Mentors from local companies, meals included and {prize} euros in "
            f"prizes. Registration closes on {_date(deadline)}."
        )
        pay = f"{prize} EUR prize pool"
    attributes: Record = {"opportunity_type": kind, "company": company, "compensation": pay}
    attributes |= {"skills": [skill], "remote": location is None, "topic": key}
    return _item(
        f"opp-{key}-{kind}", "opportunity", title, text, [key, _slug(skill), kind],
        categories=["opportunity", key], attributes=attributes, created_at=posted,
        location=location, starts_at=posted, ends_at=deadline,
    )  # fmt: skip


def _mentor(rng: random.Random, now: datetime, name: str, languages: list[str], key: str) -> Record:
    topic = TOPICS[key]
    role, company = rng.choice(topic["roles"]), rng.choice(COMPANIES)
    years = rng.randint(4, 18)
    # Rate grows with experience and stays in the 25-120 EUR band the pricing document states.
    rate = float(min(120, max(25, 20 + years * 5 + rng.choice([-5, 0, 5, 10]))))
    skills = rng.sample(topic["skills"], 3)
    text = (
        f"{name.split()[0]} works as {role} at {company} and has {years} years of experience in "
        f"{topic['label'].lower()}. Sessions cover {_and(skills)}, with a focus on "
        f"{topic['focus']}. {rng.choice(AVAILABILITY)} (Lisbon time). Speaks {_and(languages)}."
    )
    attributes = {"skills": skills, "years_experience": years, "hourly_rate": rate}
    attributes |= {"languages": languages, "company": company, "topic": key}
    attributes["free_intro_call"] = rng.random() < 0.6
    return _item(
        f"mentor-{_slug(name)}", "mentor", f"{name}, {role}", text, [key, *map(_slug, skills)],
        categories=["mentoring", key], attributes=attributes, price=rate,
        created_at=now - timedelta(days=rng.randint(30, 400)),
    )  # fmt: skip


def _city_events(rng: random.Random, now: datetime) -> list[Record]:
    """Concerts, workshops, meetups, markets, exhibitions and runs around ``now``."""
    venues = {name: _point(rng, hood) for name, hood in VENUES.items()}
    types = {row[0]: row[1:] for row in _rows(EVENT_TYPE_TABLE)}
    rows = _rows(EVENT_TABLE)
    evening = [i for i, row in enumerate(rows) if row[0] in ("concert", "meetup", "workshop")]
    tonight = set(rng.sample(evening, 6))
    daytime = [i for i, row in enumerate(rows) if row[0] in ("exhibition", "food_market")]
    ongoing = set(rng.sample(daytime, 3))
    items: list[Record] = []
    for i, (etype, hour, title, extra, desc) in enumerate(rows):
        duration, free_p, low, high, cats, tags, venue_names = types[etype]
        venue = rng.choice(_list(venue_names))
        if i in tonight:  # within the next 8 hours, so "tonight" queries always match
            starts = now + timedelta(hours=rng.randint(1, 7))
        elif i in ongoing:  # started a few hours ago and still running
            starts = now - timedelta(hours=rng.randint(1, 4))
        else:
            starts = (now + timedelta(days=rng.randint(1, 14))).replace(hour=int(hour))
        price = 0.0 if rng.random() < float(free_p) else float(rng.randint(int(low), int(high)))
        when = f"{starts:%A} {_date(starts)} at {starts:%H:%M}"
        cost = "Free entry." if price == 0 else f"Tickets {price:.0f} euros."
        attributes: Record = {"event_type": etype, "venue": venue, "neighbourhood": VENUES[venue]}
        attributes["capacity"] = rng.choice([30, 60, 120, 250, 500])
        items.append(
            _item(
                f"event-{_slug(title)}", "event", title,
                f"{desc} {when} at {venue}, {VENUES[venue]}. {cost}",
                _list(tags) + _list(extra), categories=_list(cats), attributes=attributes,
                created_at=now - timedelta(days=rng.randint(3, 30)), location=venues[venue],
                starts_at=starts, ends_at=starts + timedelta(hours=float(duration)), price=price,
            )
        )  # fmt: skip
    return items


def _offers_and_services(rng: random.Random, now: datetime) -> list[Record]:
    """Discounted offers valid around ``now`` and bookable local services."""
    items: list[Record] = []
    deals = _rows(DEAL_TABLE)
    for btype, count, cats, tags, names in _rows(BUSINESS_TABLE):
        homes = {name: rng.choice(list(HOODS)) for name in _list(names)}
        mine = [d[1:] for d in deals if d[0] == btype]
        # Sampling distinct (business, deal) pairs keeps offer ids unique.
        for name, (base, deal, desc) in rng.sample(
            [(n, d) for n in homes for d in mine], int(count)
        ):
            original, pct = float(base), rng.choice([15, 20, 25, 30, 40])
            price = round(original * (100 - pct) / 100, 2)
            starts = now - timedelta(days=rng.randint(0, 20), hours=rng.randint(1, 20))
            ends = now + timedelta(days=rng.randint(1, 21), hours=rng.randint(0, 12))
            text = (
                f"{desc} Valid until {_date(ends)} at {name} in {homes[name]}. "
                f"Was {original:.2f} euros, now {price:.2f} euros ({pct}% off)."
            )
            attributes: Record = {"business": name, "business_type": btype, "discount_pct": pct}
            attributes["neighbourhood"] = homes[name]
            items.append(
                _item(
                    f"offer-{_slug(name)}-{_slug(deal)}", "offer", f"{deal} at {name}", text,
                    _list(tags), categories=_list(cats), attributes=attributes, created_at=starts,
                    location=_point(rng, homes[name]), starts_at=starts, ends_at=ends,
                    price=price, original_price=original,
                )
            )  # fmt: skip
    for title, provider, rate, unit, cats, tags, desc in _rows(SERVICE_TABLE):
        hood = rng.choice(list(HOODS))
        attributes = {"provider": provider, "unit": unit, "neighbourhood": hood}
        attributes["rating"] = round(rng.uniform(4.2, 4.9), 1)
        items.append(
            _item(
                f"service-{_slug(title)}", "service", title,
                f"{desc} Offered by {provider} in {hood}, {rate} euros {unit}.", _list(tags),
                categories=_list(cats), attributes=attributes, price=float(rate),
                created_at=now - timedelta(days=rng.randint(100, 400)),
                location=_point(rng, hood),
            )
        )  # fmt: skip
    return items


def _funnel(rng: random.Random, item: Record, noise: bool) -> list[tuple[str, Any, float]]:
    """Actions on one item as (type, value, hours after the first view)."""
    steps: list[tuple[str, Any, float]] = [("view", None, 0.0)]
    if noise:  # off-interest items mostly get ignored or pushed away
        roll = rng.random()
        if roll < 0.4:
            steps.append(("dismiss", None, 0.01))
        elif roll < 0.55:
            steps.append(("dislike", None, 0.02))
        elif roll < 0.75:
            steps.append(("click", None, 0.01))
        return steps
    if rng.random() > 0.75:
        return steps
    t = rng.uniform(0.005, 0.05)
    steps.append(("click", None, t))
    kind = item["kind"]
    if rng.random() < 0.4:
        steps.append((rng.choice(["save", "like"]), None, t + rng.uniform(0.01, 0.2)))
    if kind in ("course", "learning_path") and rng.random() < 0.5:
        steps.append(("enroll", None, t + rng.uniform(0.1, 1.0)))
        if kind == "course" and rng.random() < 0.5:
            done = t + rng.uniform(72, 500)  # finishing a course takes days
            steps.append(("complete", None, done))
            if rng.random() < 0.8:
                steps.append(("rate", rng.choices(*RATINGS)[0], done + rng.uniform(0.01, 2)))
    elif kind in ("mentor", "service", "offer", "event") and item["price"] and rng.random() < 0.4:
        steps.append(("purchase", item["price"], t + rng.uniform(0.1, 1.0)))
        if kind in ("mentor", "service") and rng.random() < 0.7:
            # Rated after the session took place, a day to ten days later.
            steps.append(("rate", rng.choices(*RATINGS)[0], t + rng.uniform(24, 240)))
    return steps


def _user(rng: random.Random, now: datetime, persona: dict[str, Any]) -> Record:
    return {
        "id": f"demo-user-{persona['slug']}",
        "profile": {
            "interests": persona["interests"],
            "skills": persona["skills"],
            "goals": persona["goals"],
            "hours_per_week": persona["hours"],
            "learning_style": persona["learning_style"],
            "communication_style": persona["communication_style"],
        },
        "timezone": "Europe/Lisbon",
        "location": _point(rng, persona["home"]),
        "consent": True,
        "ai_opt_out": False,
        "created_at": _iso(now - timedelta(days=rng.randint(62, 240), hours=rng.randint(0, 23))),
    }


def _personas() -> list[dict[str, Any]]:
    personas: list[dict[str, Any]] = []
    for tag, *f in _rows(PERSONA_TABLE):
        if tag == "persona":
            slug, home, device, n_events, hours, learning, communication = f
            personas.append({"slug": slug, "home": home, "device": device})
            personas[-1] |= {"n_events": int(n_events), "hours": int(hours)}
            personas[-1] |= {"learning_style": learning, "communication_style": communication}
        elif tag == "skills":
            pairs = [s.split(":") for s in _list(f[0])]
            personas[-1]["skills"] = [{"name": n, "level": lvl} for n, lvl in pairs]
        else:  # interests (comma separated) or goals (semicolon separated)
            personas[-1][tag] = _list(f[0], ", " if tag == "interests" else "; ")
    return personas


LISBON = ZoneInfo("Europe/Lisbon")
AWAKE_HOURS = [0.3, 0.1, 0, 0, 0, 0, 0.1, 0.4, 0.8, 0.8, 0.7, 0.8, 1.6, 1.5, 0.7, 0.6, 0.6, 0.8,
               1.1, 1.8, 2.2, 2.0, 1.4, 0.7]  # fmt: skip
"""How active people are per local hour: lunch and evening peaks, quiet nights (so
`rapport insights peaks` has a day to find)."""


def _awake(clock: random.Random, moment: datetime, start: datetime, latest: datetime) -> datetime:
    """`moment` moved to a local hour people are active at, on the same local day (kept as
    it was when that would leave the allowed window)."""
    local = moment.astimezone(LISBON)
    hour = clock.choices(range(24), AWAKE_HOURS)[0]
    moved = local.replace(hour=hour, minute=clock.randrange(60)).astimezone(UTC)
    return moved if start <= moved <= latest else moment


def _history(
    rng: random.Random,
    now: datetime,
    persona: dict[str, Any],
    items: list[Record],
    seed: int = 7,
) -> list[tuple[datetime, str, str, Any, Record]]:
    """Interactions over the last 60 days: mostly on-interest items, about 15% noise."""
    latest = now - timedelta(minutes=5)
    window_start = now - timedelta(days=60)
    # Earlier interests weigh more, so the first one dominates the history.
    interests = persona["interests"]
    rank = {_slug(name): len(interests) - i for i, name in enumerate(interests)}
    weights = [sum(rank[t] for t in rank.keys() & {*it["tags"], *it["categories"]}) for it in items]
    matching = [it for it, w in zip(items, weights, strict=True) if w]
    match_weights = [w for w in weights if w]
    device = persona["device"]
    # Times of day come from their own generator, so every other draw stays as it was.
    clock = random.Random(f"{seed}-{persona['slug']}")
    out: list[tuple[datetime, str, str, Any, Record]] = []
    seen: set[str] = set()
    while len(out) < persona["n_events"]:
        noise = rng.random() < 0.15
        item = rng.choice(items) if noise else rng.choices(matching, match_weights)[0]
        if item["id"] in seen and rng.random() < 0.8:
            continue  # revisits happen, but rarely
        seen.add(item["id"])
        # Nobody can interact with an item before it was published.
        start = max(window_start, datetime.fromisoformat(item["created_at"]))
        t0 = _awake(clock, start + (latest - start) * rng.random(), start, latest)
        source = rng.choices(["feed", "search", "email"], [0.6, 0.25, 0.15])[0]
        context = {
            "device": device if rng.random() < 0.8 else rng.choice(["mobile", "desktop"]),
            "source": source,
            "position": rng.randint(1, {"feed": 20, "search": 10, "email": 5}[source]),
        }
        for etype, value, offset in _funnel(rng, item, noise):
            ts = (t0 + timedelta(hours=offset)).replace(microsecond=0)
            if ts > latest:
                break  # the rest of this story has not happened yet
            out.append((ts, etype, item["id"], value, context))
    return sorted(out[: persona["n_events"]], key=lambda e: e[0])


MOTIVATION_DROP_PERSONA = "priya"
"""Her week before last was her busiest, so the demo shows a `motivation_drop` nudge."""


def _busy_week_before(
    now: datetime, persona: dict[str, Any], history: list[Any], items: list[Record]
) -> list[tuple[datetime, str, str, Any, Record]]:
    """Extra events 8 to 13 days ago on items the persona already used (no randomness, so
    the rest of the world is unchanged)."""
    if persona["slug"] != MOTIVATION_DROP_PERSONA:
        return []
    early = {
        it["id"]
        for it in items
        if datetime.fromisoformat(it["created_at"]) < now - timedelta(days=14)
    }
    used = list(dict.fromkeys(item_id for _, _, item_id, _, _ in history if item_id in early))
    kinds = ["view", "click", "save", "view", "complete", "view"]
    return [
        (
            (now - timedelta(days=8 + day, hours=2)).replace(minute=0, second=0, microsecond=0),
            kinds[day],
            used[day % len(used)],
            None,
            {"device": persona["device"], "source": "feed", "position": day + 1},
        )
        for day in range(6)
        if used
    ]


def _first(entry: tuple[Any, ...]) -> Any:
    return entry[0]


def _documents() -> list[Record]:
    return [
        {"id": doc_id, "title": title, "text": text, "metadata": {"source": "demo", "topic": topic}}
        for doc_id, topic, title, text in _rows(DOCUMENT_TABLE)
    ]


def build_demo_world(seed: int = 7, now: datetime | None = None) -> DemoWorld:
    """Build the DEMO world; the same ``seed`` and ``now`` always give identical records.

    ``now`` defaults to the current UTC time rounded down to the hour, so repeated calls within
    an hour agree and every time window stays relative to the present. Naive values are UTC.
    """
    if now is None:
        now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    now = now.replace(tzinfo=UTC) if now.tzinfo is None else now.astimezone(UTC)
    rng = random.Random(seed)
    items = _catalog(rng, now) + _city_events(rng, now) + _offers_and_services(rng, now)
    usable = [it for it in items if datetime.fromisoformat(it["created_at"]) < now]
    users: list[Record] = []
    events: list[Record] = []
    for persona in _personas():
        users.append(_user(rng, now, persona))
        history = _history(rng, now, persona, usable, seed)
        history = sorted(history + _busy_week_before(now, persona, history, usable), key=_first)
        for ts, etype, item_id, value, context in history:
            events.append(
                {
                    "id": f"demo-e-{len(events) + 1:06d}",
                    "user_id": users[-1]["id"],
                    "item_id": item_id,
                    "type": etype,
                    "value": value,
                    "timestamp": _iso(ts),
                    "context": dict(context),
                }
            )
    return DemoWorld(
        items=items,
        users=users,
        events=events,
        documents=_documents(),
        persona=PERSONA,
        process=PROCESS,
        conversations=[
            {"user_id": users[0]["id"], "messages": list(messages)} for messages in CHATS[:1]
        ]
        + [{"user_id": users[1]["id"], "messages": list(messages)} for messages in CHATS[1:]],
        availability=_mentor_availability(items),
        calendars=[_busy_calendar(users[0]["id"], now)],
        schedule_preferences=[
            {"user_id": users[0]["id"], "time_of_day": ["evening"], "weekdays": [1, 3]}
        ],
    )


# The weekly windows each availability phrase in a mentor's text stands for (Lisbon time).
AVAILABILITY_WINDOWS: dict[str, list[tuple[int, str, str]]] = {
    "Evening slots on weekdays": [(d, "18:00", "21:00") for d in range(5)],
    "Weekend mornings and Wednesday evenings": [
        (5, "09:00", "12:00"),
        (6, "09:00", "12:00"),
        (2, "18:00", "21:00"),
    ],
    "Flexible slots across the week": [(d, "10:00", "19:00") for d in range(6)],
    "Lunchtime slots, Monday to Thursday": [(d, "12:00", "14:00") for d in range(4)],
}


def _mentor_availability(items: list[Record]) -> list[Record]:
    """Each mentor's weekly windows, read from the availability phrase in their text (so
    the profile and the bookable times agree)."""
    found = []
    for item in items:
        if item["kind"] != "mentor":
            continue
        phrase = next((p for p in AVAILABILITY_WINDOWS if p in item["text"]), None)
        if phrase is None:
            continue
        weekly = [{"weekday": d, "start": a, "end": b} for d, a, b in AVAILABILITY_WINDOWS[phrase]]
        found.append({"item_id": item["id"], "timezone": "Europe/Lisbon", "weekly": weekly})
    return found


def _busy_calendar(user_id: str, now: datetime) -> Record:
    """A small work calendar (iCalendar text) around ``now``: office hours on weekdays, a
    weekly climbing class on Tuesday evenings and a dinner next Wednesday."""
    lisbon = ZoneInfo("Europe/Lisbon")
    monday = (now.astimezone(lisbon) - timedelta(days=now.astimezone(lisbon).weekday())).date()
    today = now.astimezone(lisbon).date()
    dinner = today + timedelta(days=(2 - today.weekday()) % 7 or 7)  # the next Wednesday

    def at(day: date, clock: str) -> str:
        return f"{day:%Y%m%d}T{clock.replace(':', '')}00"

    tuesday = monday + timedelta(days=1)
    lines = [
        "BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//rapport demo//EN",
        "BEGIN:VEVENT", "UID:demo-work", "SUMMARY:Work",
        f"DTSTART;TZID=Europe/Lisbon:{at(monday, '09:00')}",
        f"DTEND;TZID=Europe/Lisbon:{at(monday, '17:30')}",
        "RRULE:FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", "END:VEVENT",
        "BEGIN:VEVENT", "UID:demo-climbing", "SUMMARY:Climbing class",
        f"DTSTART;TZID=Europe/Lisbon:{at(tuesday, '19:00')}",
        f"DTEND;TZID=Europe/Lisbon:{at(tuesday, '20:30')}",
        "RRULE:FREQ=WEEKLY;BYDAY=TU", "END:VEVENT",
        "BEGIN:VEVENT", "UID:demo-dinner", "SUMMARY:Dinner with friends",
        f"DTSTART;TZID=Europe/Lisbon:{at(dinner, '20:00')}",
        f"DTEND;TZID=Europe/Lisbon:{at(dinner, '22:30')}", "END:VEVENT",
        "END:VCALENDAR",
    ]  # fmt: skip
    return {"user_id": user_id, "source": "demo-work-calendar", "ics": "\r\n".join(lines) + "\r\n"}


PERSONA: Record = {
    "name": "Marta",
    "expertise": "Learning coach for adults changing careers into data, design and tech",
    "methodology": (
        "Start from what the person already loves, agree one small weekly goal, practise on "
        "real projects, and look back every two weeks at what worked."
    ),
    "tone": "warm",
    "language": "en",
    "sample_texts": [
        "Lovely progress! Let's pick one small thing for this week.",
        "You don't need to know everything before you start: build, then read.",
    ],
}

PROCESS: Record = {
    "id": "portfolio",
    "title": "Build a data portfolio",
    "steps": [
        {"id": "s1", "title": "Pick a public dataset", "status": "done", "substeps": []},
        {
            "id": "s2",
            "title": "Clean and explore the data",
            "status": "in_progress",
            "substeps": [
                {"id": "s2a", "title": "Handle missing values", "status": "done"},
                {"id": "s2b", "title": "Plot the main distributions", "status": "todo"},
            ],
        },
        {"id": "s3", "title": "Write up the findings", "status": "todo", "substeps": []},
        {"id": "s4", "title": "Design review with a mentor", "status": "todo", "substeps": []},
    ],
}

CHATS: list[tuple[str, ...]] = [
    (
        "Hi! Can you recommend a course for me?",
        "How do refunds work for event tickets?",
        "Why did you suggest that one?",
    ),
    ("Show me free workshops this weekend", "Thanks, that helps!"),
]
