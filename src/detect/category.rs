//! The category vocabulary (a contract: DESIGN.md §4) and the role each category has.
use serde::Serialize;

/// What a column holds. Names are part of the `anonkos.scan/v1` contract.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum Category {
    PersonName,
    KosovoPersonalNumber,
    Jmbg,
    PassportNumber,
    IdCardNumber,
    PhoneNumber,
    Email,
    Iban,
    BankAccount,
    StreetAddress,
    VehiclePlate,
    IpAddress,
    RecordKey,
    Credential,
    Photo,
    Uncertain,
    DateOfBirth,
    Age,
    Gender,
    Municipality,
    PostalCode,
    PlaceOfBirth,
    Nationality,
    Occupation,
    MaritalStatus,
    Date,
    Health,
    EthnicOrigin,
    Religion,
    PoliticalOpinion,
    TradeUnion,
    SexLife,
    CriminalRecord,
    Biometric,
    Genetic,
    FreeText,
    BusinessId,
    None,
}

/// How a category matters for anonymisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Identifies a person on its own.
    DirectIdentifier,
    /// A key of a record in the source system (`id`, `employee_id`, a login name): an
    /// identification number in the sense of Art. 2 of 03/L-172, since whoever holds the
    /// source finds the person by it. Kept out of releases; joins keep it in test copies.
    RecordKey,
    /// The evidence is unclear: the values look like a personal category (the candidates) but
    /// not enough to say so. Treated as personal: a strict pipeline refuses to run until a rule
    /// or a declaration covers the column.
    Uncertain,
    /// Identifies a person in combination with other columns.
    QuasiIdentifier,
    /// A special category of personal data (Art. 2(1.16) of 03/L-172).
    Sensitive,
    /// Text in which entities of other categories are embedded.
    FreeText,
    /// Not personal data.
    NotPersonal,
}

impl Category {
    /// Every category, in contract order.
    pub const ALL: [Category; 38] = {
        use Category::*;
        [
            PersonName,
            KosovoPersonalNumber,
            Jmbg,
            PassportNumber,
            IdCardNumber,
            PhoneNumber,
            Email,
            Iban,
            BankAccount,
            StreetAddress,
            VehiclePlate,
            IpAddress,
            RecordKey,
            Credential,
            Photo,
            Uncertain,
            DateOfBirth,
            Age,
            Gender,
            Municipality,
            PostalCode,
            PlaceOfBirth,
            Nationality,
            Occupation,
            MaritalStatus,
            Date,
            Health,
            EthnicOrigin,
            Religion,
            PoliticalOpinion,
            TradeUnion,
            SexLife,
            CriminalRecord,
            Biometric,
            Genetic,
            FreeText,
            BusinessId,
            None,
        ]
    };

    /// Number of categories (for per-category counters).
    pub const COUNT: usize = Self::ALL.len();

    /// Dense index for counter arrays.
    pub fn index(self) -> usize {
        self as usize
    }

    /// The contract name, e.g. `kosovo_personal_number`.
    pub fn name(self) -> &'static str {
        use Category::*;
        match self {
            PersonName => "person_name",
            KosovoPersonalNumber => "kosovo_personal_number",
            Jmbg => "jmbg",
            PassportNumber => "passport_number",
            IdCardNumber => "id_card_number",
            PhoneNumber => "phone_number",
            Email => "email",
            Iban => "iban",
            BankAccount => "bank_account",
            StreetAddress => "street_address",
            VehiclePlate => "vehicle_plate",
            IpAddress => "ip_address",
            RecordKey => "record_key",
            Credential => "credential",
            Photo => "photo",
            Uncertain => "uncertain",
            DateOfBirth => "date_of_birth",
            Age => "age",
            Gender => "gender",
            Municipality => "municipality",
            PostalCode => "postal_code",
            PlaceOfBirth => "place_of_birth",
            Nationality => "nationality",
            Occupation => "occupation",
            MaritalStatus => "marital_status",
            Date => "date",
            Health => "health",
            EthnicOrigin => "ethnic_origin",
            Religion => "religion",
            PoliticalOpinion => "political_opinion",
            TradeUnion => "trade_union",
            SexLife => "sex_life",
            CriminalRecord => "criminal_record",
            Biometric => "biometric",
            Genetic => "genetic",
            FreeText => "free_text",
            BusinessId => "business_id",
            None => "none",
        }
    }

    /// Parse a contract name.
    pub fn from_name(name: &str) -> Option<Category> {
        Self::ALL.into_iter().find(|c| c.name() == name)
    }

    /// The role that follows from the category.
    pub fn role(self) -> Role {
        use Category::*;
        match self {
            PersonName | KosovoPersonalNumber | Jmbg | PassportNumber | IdCardNumber
            | PhoneNumber | Email | Iban | BankAccount | StreetAddress | VehiclePlate
            | IpAddress | Credential | Photo => Role::DirectIdentifier,
            RecordKey => Role::RecordKey,
            Uncertain => Role::Uncertain,
            DateOfBirth | Age | Gender | Municipality | PostalCode | PlaceOfBirth | Nationality
            | Occupation | MaritalStatus | Date => Role::QuasiIdentifier,
            Health | EthnicOrigin | Religion | PoliticalOpinion | TradeUnion | SexLife
            | CriminalRecord | Biometric | Genetic => Role::Sensitive,
            FreeText => Role::FreeText,
            BusinessId | None => Role::NotPersonal,
        }
    }

    /// Whether the category is a special category of personal data.
    pub fn is_special(self) -> bool {
        self.role() == Role::Sensitive
    }
}

impl std::fmt::Display for Category {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl Role {
    /// The contract name, e.g. `direct_identifier`.
    pub fn name(self) -> &'static str {
        match self {
            Role::DirectIdentifier => "direct_identifier",
            Role::RecordKey => "record_key",
            Role::Uncertain => "uncertain",
            Role::QuasiIdentifier => "quasi_identifier",
            Role::Sensitive => "sensitive",
            Role::FreeText => "free_text",
            Role::NotPersonal => "not_personal",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_indices_are_dense() {
        for (i, c) in Category::ALL.iter().enumerate() {
            assert_eq!(c.index(), i);
            assert_eq!(Category::from_name(c.name()), Some(*c));
            let json = serde_json::to_string(c).unwrap();
            assert_eq!(json, format!("\"{}\"", c.name()));
        }
    }
}
