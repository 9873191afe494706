//! Deterministic randomness and customer-support text for the dataset.

/// xorshift64*: small, fast, reproducible from a seed.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed.max(1))
    }

    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    /// Picks by weight: `[(value, weight)]`.
    pub fn weighted<T: Copy>(&mut self, items: &[(T, u64)]) -> T {
        let total: u64 = items.iter().map(|(_, w)| w).sum();
        let mut roll = self.below(total);
        for (value, weight) in items {
            if roll < *weight {
                return *value;
            }
            roll -= weight;
        }
        items[0].0
    }
}

pub const FIRST_NAMES: &[&str] = &[
    "June", "Max", "Ana", "Liam", "Noor", "Kenji", "Sofia", "Omar", "Ines", "Tomas", "Priya", "Lena",
    "Mateo", "Chloe", "Ravi", "Elif", "Jonas", "Mia", "Hugo", "Aiko", "Sven", "Lucia", "Amara", "Felix",
    "Yara",
];
pub const LAST_NAMES: &[&str] = &[
    "Park", "Moreau", "Silva", "Novak", "Haddad", "Tanaka", "Rossi", "Khan", "Garcia", "Berg", "Okafor",
    "Dubois", "Schmidt", "Ivanova", "Nguyen", "Costa", "Larsen", "Meyer", "Sato", "Fischer",
];
pub const PRODUCTS: &[&str] = &[
    "blender",
    "kettle",
    "toaster",
    "headphones",
    "backpack",
    "lamp",
    "mattress",
    "jacket",
    "sneakers",
    "monitor",
    "keyboard",
    "stroller",
    "espresso machine",
    "vacuum",
    "router",
    "watch",
    "sofa",
    "tent",
];
const CONTACT_LINES: &[&str] = &[
    "Hi, where is my order {order}? The tracking has not moved in days.",
    "My {product} arrived broken, can I get a refund?",
    "I was charged twice for order {order}.",
    "How do I return the {product}? It does not fit.",
    "Can I change the delivery address for order {order}?",
    "The {product} stopped working after a week.",
    "Do you ship to Canada? I want to buy the {product}.",
    "I need an invoice for order {order} for my company.",
    "Is the {product} back in stock soon?",
    "I would like to talk to a person please.",
    "The discount code did not apply at checkout.",
    "Thanks, that solved it!",
    "Still waiting for an answer about my refund.",
    "Can I cancel my subscription before the next renewal?",
];
const REPLY_LINES: &[&str] = &[
    "Thanks for reaching out! Order {order} left our warehouse yesterday and should arrive within 3 days.",
    "I'm sorry the {product} arrived damaged. I have started a refund; you will see it in 5 to 7 business days.",
    "I can see the double charge on order {order}. The duplicate payment has been reversed.",
    "You can return the {product} within 30 days from your account page under Orders.",
    "I have updated the delivery address for order {order}.",
    "Please try resetting the {product} by holding the power button for 10 seconds.",
    "Yes, we ship to Canada. Delivery takes 5 to 8 business days.",
    "Your invoice for order {order} is attached to this message.",
    "The {product} is expected back in stock next week.",
    "Let me connect you with a member of our team.",
    "I have applied the discount to your order manually.",
    "Glad I could help! Have a great day.",
];

fn fill(template: &str, rng: &mut Rng) -> String {
    let order = format!("{}", 10_000 + rng.below(90_000));
    let product = *rng.pick::<&str>(PRODUCTS);
    template.replace("{order}", &order).replace("{product}", product)
}

pub fn contact_line(rng: &mut Rng) -> String {
    let template = *rng.pick(CONTACT_LINES);
    fill(template, rng)
}

pub fn reply_line(rng: &mut Rng) -> String {
    let template = *rng.pick(REPLY_LINES);
    fill(template, rng)
}

pub fn title(rng: &mut Rng) -> String {
    let topics = [
        "Order status",
        "Refund request",
        "Damaged item",
        "Return",
        "Billing",
        "Delivery address",
        "Invoice",
    ];
    let topic = *rng.pick(&topics);
    format!("{topic} — {}", rng.pick(PRODUCTS))
}
